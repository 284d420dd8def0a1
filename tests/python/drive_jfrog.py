"""Drives Gatehouse's JFrog Access-compatible API with a published JFrog
client, py-jfrog-client (pinned in requirements.txt), through the client's
own methods; environments, which that client has no methods for, through
its ApiClient. Every result is checked; the first failure exits non-zero.

Usage: jfrog_client.py BASE_URL ADMIN_TOKEN
"""

import sys

import jfrog_client as jf
from jfrog_client.rest import ApiException

BASE, TOKEN = sys.argv[1], sys.argv[2]
DONE = []


def check(what, condition, detail=""):
    if not condition:
        print(f"FAILED: {what} {detail}")
        sys.exit(1)
    DONE.append(what)
    print(f"ok: {what}")


def refused(what, status, call):
    try:
        call()
    except ApiException as e:
        check(what, e.status == status, f"status {e.status}: {e.body}")
        return
    check(what, False, "was not refused")


client = jf.ApiClient(jf.Configuration(host=BASE, access_token=TOKEN))
projects = jf.ProjectsApi(client)
roles = jf.RolesApi(client)
members = jf.MembersApi(client)
users = jf.UsersApi(client)
groups = jf.GroupsApi(client)
tokens = jf.AccessTokensApi(client)

# Projects.
created = projects.create_project(jf.ProjectCreateRequest(
    project_key="pyweb", display_name="Py Web", description="from python",
    admin_privileges=jf.ProjectCreateRequestAdminPrivileges(manage_members=True, manage_resources=True,
                                                            index_resources=True)))
check("projects.create_project", created.project_key == "pyweb" and created.display_name == "Py Web")
check("projects.get_project", projects.get_project("pyweb").description == "from python")
check("projects.get_projects_list", [p.project_key for p in projects.get_projects_list()] == ["pyweb"])
updated = projects.update_project("pyweb", jf.ProjectUpdateRequest(display_name="Py Web 2"))
check("projects.update_project", updated.display_name == "Py Web 2")
refused("projects.create_project twice is 409", 409, lambda: projects.create_project(
    jf.ProjectCreateRequest(project_key="pyweb", display_name="again")))

# HTTP Basic as the client builds it (its Configuration's username and
# password): Gatehouse takes an access token of that user as the password,
# never a password.
basic = jf.Configuration(host=BASE, username="admin", password=TOKEN).auth_settings()["BasicAuth"]
check("projects.get_projects_list with Basic (username:token)",
      [p.project_key for p in projects.get_projects_list(_request_auth=basic)] == ["pyweb"])
wrong = jf.Configuration(host=BASE, username="admin", password="a password").auth_settings()["BasicAuth"]
refused("Basic with a password is 401", 401, lambda: projects.get_projects_list(_request_auth=wrong))

# Environments (no client method: the client's ApiClient).
def env_call(method, path, body=None):
    params = client.param_serialize(method=method, resource_path=path, body=body,
                                    header_params={"Content-Type": "application/json", "Accept": "application/json"},
                                    auth_settings=["BearerAuth"])
    response = client.call_api(*params)
    response.read()
    return response


created_env = env_call("POST", "/access/api/v1/projects/pyweb/environments", {"name": "pyweb-QA"})
check("environments: create in project (201)", created_env.status == 201)
listed_env = env_call("GET", "/access/api/v1/projects/pyweb/environments")
check("environments: list in project", b"pyweb-QA" in listed_env.data)

# Roles.
role = roles.create_project_role("pyweb", jf.ProjectRoleCreate(
    name="qa", type="CUSTOM", environments=["DEV", "pyweb-QA"],
    actions=["READ_REPOSITORY", "DEPLOY_CACHE_REPOSITORY", "READ_BUILD"]))
check("roles.create_project_role", role.type == "CUSTOM" and role.actions == ["READ_REPOSITORY", "DEPLOY_CACHE_REPOSITORY", "READ_BUILD"])
check("roles.get_project_role", roles.get_project_role("pyweb", "qa").environments == ["DEV", "pyweb-QA"])
names = {r.name: r.type for r in roles.get_project_roles("pyweb")}
check("roles.get_project_roles", names.get("qa") == "CUSTOM" and names.get("Project Admin") == "ADMIN")
role = roles.update_project_role("pyweb", "qa", jf.ProjectRoleUpdate(type="CUSTOM", environments=["DEV"],
                                                                     actions=["READ_BUILD"]))
check("roles.update_project_role", role.actions == ["READ_BUILD"] and role.environments == ["DEV"])
refused("roles.create_project_role with an unknown action is 400", 400, lambda: roles.create_project_role(
    "pyweb", jf.ProjectRoleCreate(name="bad", type="CUSTOM", actions=["FLY"])))

# Groups and users.
group = groups.create_group(jf.GroupCreateRequest(name="pydevs", description="Python devs"))
check("groups.create_group", group.name == "pydevs")
user = users.create_user(jf.UserCreateRequest(username="pyuser", email="pyuser@example.com",
                                              password="a long enough password", groups=["pydevs"]))
check("users.create_user", user.username == "pyuser" and user.groups == ["pydevs"] and user.status == "invited")
check("users.get_user_details1", users.get_user_details1("pyuser").email == "pyuser@example.com")
listed = users.get_user_list()
check("users.get_user_list", "pyuser" in [u.username for u in listed.users])
check("users.update_user", users.update_user("pyuser", jf.UserUpdateRequest(email="py@example.com")).email == "py@example.com")
users.change_user_password("pyuser", jf.ChangeUserPasswordRequest(password="another long password"))
check("users.change_user_password", True)
check("groups.get_group_details", groups.get_group_details("pydevs").members == ["pyuser"])
check("groups.get_group_list", [g.group_name for g in groups.get_group_list().groups] == ["pydevs"])
check("groups.update_group", groups.update_group("pydevs", jf.GroupUpdateRequest(description="Devs")).description == "Devs")
changed = groups.update_group_members("pydevs", jf.UpdateGroupMembersRequest(remove=["pyuser"]))
check("groups.update_group_members", changed.members == [])
refused("groups.create_group with admin privileges is 400", 400, lambda: groups.create_group(
    jf.GroupCreateRequest(name="root", admin_privileges=True)))

# Members.
member = members.add_or_update_project_user("pyweb", "pyuser", jf.ProjectUserUpdate(roles=["qa"]))
check("members.add_or_update_project_user", member.roles == ["qa"])
check("members.get_project_users", [(m.name, m.roles) for m in members.get_project_users("pyweb").members] == [("pyuser", ["qa"])])
check("members.get_project_user", members.get_project_user("pyweb", "pyuser").roles == ["qa"])
members.update_project_group("pyweb", "pydevs", jf.ProjectGroupUpdate(roles=["Viewer"]))
check("members.get_project_groups", [m.name for m in members.get_project_groups("pyweb").members] == ["pydevs"])
members.delete_project_group("pyweb", "pydevs")
members.delete_project_user("pyweb", "pyuser")
check("members.delete_project_user", members.get_project_users("pyweb").members == [])

# Tokens. The client picks `application/json` for create_token by default and
# then sends no body at all (its form fields only go out as a form), so ask
# for the form through its own `_content_type` option.
FORM = "application/x-www-form-urlencoded"
token = tokens.create_token(scope="applied-permissions/user", expires_in=3600, description="py token",
                            _content_type=FORM)
check("tokens.create_token", token.access_token.startswith("gate_") and token.token_type == "Bearer")
listed = tokens.get_tokens()
mine = [t for t in listed.tokens if t.description == "py token"]
check("tokens.get_tokens", len(mine) == 1, repr(listed))
check("tokens.get_token_by_id", tokens.get_token_by_id(mine[0].token_id).description == "py token")
refused("tokens.create_token refreshable is 400", 400, lambda: tokens.create_token(refreshable=True, _content_type=FORM))
tokens.revoke_token_by_id(mine[0].token_id)
check("tokens.revoke_token_by_id", all(t.token_id != mine[0].token_id for t in tokens.get_tokens().tokens))

# Clean up through deletes (204).
roles.delete_project_role("pyweb", "qa")
check("roles.delete_project_role", "qa" not in [r.name for r in roles.get_project_roles("pyweb")])
check("environments: delete in project (204)", env_call("DELETE", "/access/api/v1/projects/pyweb/environments/pyweb-QA").status == 204)
users.delete_user("pyuser")
refused("users.get_user_details1 after delete is 404", 404, lambda: users.get_user_details1("pyuser"))
groups.delete_group("pydevs")
projects.delete_project("pyweb")
refused("projects.get_project after delete is 404", 404, lambda: projects.get_project("pyweb"))

print(f"{len(DONE)} passed, 0 failed")

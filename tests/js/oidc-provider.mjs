// A real OpenID Connect provider for the tests that need a person at the
// provider: `oidc-provider` from npm, with its development login and
// consent pages (any login name, any password) and the device-authorization
// grant (RFC 8628) enabled. Started by crates/gatehouse/tests/it/oidc_cli.rs
// on a free port of 127.0.0.1; prints one JSON line `{"issuer": …}` when it
// listens, then serves until killed.
//
// Two clients, as an identity provider would have them:
// - `gatehouse-web`, confidential (secret `web-secret`), the authorization
//   code flow back to the URL given as the first argument;
// - `gatehouse-cli`, public, the device grant only (`gatehouse login --oidc`).
//
// The account of a login name `n` has `sub` and `preferred_username` `n`,
// email `n@example.com` and name `N (SSO)`.

import http from 'node:http';
import Provider from 'oidc-provider';

const redirect = process.argv[2];
if (!redirect) {
  console.error('usage: node oidc-provider.mjs <gatehouse callback URL>');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'gatehouse-web',
        client_secret: 'web-secret',
        redirect_uris: [redirect],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'gatehouse-cli',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
    },
    // The profile and email claims in the ID token itself, not only at the
    // userinfo endpoint: Gatehouse reads them from the ID token.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            preferred_username: id,
            email: `${id}@example.com`,
            email_verified: true,
            name: `${id[0].toUpperCase()}${id.slice(1)} (SSO)`,
          };
        },
      };
    },
  });
  provider.on('server_error', (_ctx, error) => console.error('provider error:', error));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});

-- Searching users by a part of the username or email (`?q=`) without
-- reading the whole table: a trigram full-text index of both. A row of the
-- index is found by the integer id `user_search_ids` gives each username
-- (an INTEGER PRIMARY KEY, which VACUUM and backups keep), and the
-- triggers keep the index in step with every insert, change and delete.
CREATE TABLE user_search_ids (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE
) STRICT;

CREATE VIRTUAL TABLE user_search USING fts5 (username, email, tokenize = 'trigram');

CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search_ids (username) VALUES (new.username);
    INSERT INTO user_search (rowid, username, email)
        SELECT id, new.username, new.email_normalized FROM user_search_ids WHERE username = new.username;
END;

CREATE TRIGGER user_search_update AFTER UPDATE OF username, email_normalized ON users
WHEN old.username IS NOT new.username OR old.email_normalized IS NOT new.email_normalized BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT id FROM user_search_ids WHERE username = old.username);
    UPDATE user_search_ids SET username = new.username WHERE username = old.username;
    INSERT INTO user_search (rowid, username, email)
        SELECT id, new.username, new.email_normalized FROM user_search_ids WHERE username = new.username;
END;

CREATE TRIGGER user_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT id FROM user_search_ids WHERE username = old.username);
    DELETE FROM user_search_ids WHERE username = old.username;
END;

INSERT INTO user_search_ids (username) SELECT username FROM users ORDER BY username;
INSERT INTO user_search (rowid, username, email)
    SELECT i.id, u.username, u.email_normalized FROM user_search_ids i JOIN users u ON u.username = i.username;

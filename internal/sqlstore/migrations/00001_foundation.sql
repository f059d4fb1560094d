-- Foundation schema: accounts, login sessions, API tokens, password resets,
-- rate-limit events, the mail outbox, site settings and the folder tree.
-- Portable between SQLite and PostgreSQL: TEXT ids, BIGINT Unix
-- milliseconds for times, BOOLEAN flags.

-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL DEFAULT 'local',
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- Emails are stored lower-cased; accounts without an email (some LTI users) are allowed.
CREATE UNIQUE INDEX users_email ON users (email) WHERE email <> '';

CREATE TABLE login_sessions (
    id           TEXT PRIMARY KEY, -- hex SHA-256 of the cookie token
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    client_addr  TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_sessions_user ON login_sessions (user_id);
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY, -- hex SHA-256 of the emailed token
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- One row per counted event (a failed login, a wrong link password). Kept in
-- the database so every node sees the same limits.
CREATE TABLE rate_events (
    bucket TEXT NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket_at ON rate_events (bucket, at);
CREATE INDEX rate_events_at ON rate_events (at);

CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    to_addr    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at    BIGINT
);
CREATE INDEX outbox_state_created ON outbox (state, created_at);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE folders (
    id                TEXT PRIMARY KEY,
    parent_id         TEXT REFERENCES folders (id),
    name              TEXT NOT NULL,
    owner_id          TEXT NOT NULL REFERENCES users (id),
    requires_approval BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX folders_parent ON folders (parent_id);
CREATE INDEX folders_owner ON folders (owner_id);

-- +goose Down
DROP TABLE folders;
DROP TABLE settings;
DROP TABLE outbox;
DROP TABLE rate_events;
DROP TABLE password_resets;
DROP TABLE api_tokens;
DROP TABLE login_sessions;
DROP TABLE users;

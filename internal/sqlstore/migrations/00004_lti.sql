-- LTI 1.3 and 1.1: registered platforms, Lectern's own signing keys,
-- OIDC login states and used nonces (in the database so that any node can
-- check them), users keyed by (issuer, subject), courses with their
-- folders and groups, resource links bound to sessions, deep-linking
-- items and the picker sessions a teacher uses to choose videos.

-- +goose Up
CREATE TABLE lti_platforms (
    id               TEXT PRIMARY KEY,
    version          TEXT NOT NULL CHECK (version IN ('1.3', '1.1')),
    name             TEXT NOT NULL,
    issuer           TEXT NOT NULL DEFAULT '',
    client_id        TEXT NOT NULL DEFAULT '',
    deployment_ids   TEXT NOT NULL DEFAULT '', -- one per line
    auth_url         TEXT NOT NULL DEFAULT '',
    token_url        TEXT NOT NULL DEFAULT '',
    jwks_url         TEXT NOT NULL DEFAULT '',
    consumer_key     TEXT NOT NULL DEFAULT '',
    secret_sealed    TEXT NOT NULL DEFAULT '', -- AES-GCM under the site key
    frame_origins    TEXT NOT NULL DEFAULT '', -- space-separated
    course_parent_id TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX lti_platforms_registration ON lti_platforms (issuer, client_id) WHERE version = '1.3';
CREATE UNIQUE INDEX lti_platforms_consumer ON lti_platforms (consumer_key) WHERE version = '1.1';

-- Lectern's key pairs. The newest key without retired_at signs; retired
-- keys stay in /lti/jwks for a grace period, then the sweeper drops them.
CREATE TABLE lti_keys (
    id             TEXT PRIMARY KEY, -- the JWK kid
    private_sealed TEXT NOT NULL,    -- PKCS#8, AES-GCM under the site key
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT
);

CREATE TABLE lti_login_states (
    id            TEXT PRIMARY KEY, -- hex SHA-256 of the state
    platform_id   TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    nonce         TEXT NOT NULL,
    deployment_id TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX lti_login_states_expires ON lti_login_states (expires_at);

-- Nonces seen (LTI 1.3 id_token nonces, LTI 1.1 oauth_nonce): the primary
-- key makes "used once" hold across nodes.
CREATE TABLE lti_nonces (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX lti_nonces_expires ON lti_nonces (expires_at);

CREATE TABLE lti_users (
    issuer         TEXT NOT NULL,
    subject        TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    last_launch_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX lti_users_user ON lti_users (user_id);

CREATE TABLE lti_contexts (
    id                   TEXT PRIMARY KEY,
    platform_id          TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    context_id           TEXT NOT NULL,
    title                TEXT NOT NULL DEFAULT '',
    label                TEXT NOT NULL DEFAULT '',
    folder_id            TEXT NOT NULL DEFAULT '',
    members_group_id     TEXT NOT NULL DEFAULT '',
    instructors_group_id TEXT NOT NULL DEFAULT '',
    is_public            BOOLEAN NOT NULL DEFAULT FALSE,
    nrps_url             TEXT NOT NULL DEFAULT '',
    last_sync_at         BIGINT,
    last_sync_note       TEXT NOT NULL DEFAULT '',
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX lti_contexts_platform ON lti_contexts (platform_id, context_id);

CREATE TABLE lti_links (
    id               TEXT PRIMARY KEY,
    platform_id      TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    resource_link_id TEXT NOT NULL,
    context_row_id   TEXT NOT NULL DEFAULT '',
    item_id          TEXT NOT NULL DEFAULT '',
    session_id       TEXT NOT NULL DEFAULT '', -- empty once unbound
    group_id         TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    bound_by         TEXT NOT NULL DEFAULT '',
    bound_at         BIGINT,
    unbound_at       BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX lti_links_platform ON lti_links (platform_id, resource_link_id);
CREATE INDEX lti_links_session ON lti_links (session_id);
CREATE INDEX lti_links_context ON lti_links (context_row_id);

-- A deep-linking content item: its random id travels in the item's custom
-- parameters, so the LMS cannot be made to bind a session nobody chose.
CREATE TABLE lti_items (
    id          TEXT PRIMARY KEY,
    platform_id TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- A teacher choosing videos: for a deep-linking response, or to bind the
-- resource link they launched from. The token in the picker's URL is the
-- capability; only its hash is stored.
CREATE TABLE lti_picks (
    id               TEXT PRIMARY KEY,
    platform_id      TEXT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mode             TEXT NOT NULL CHECK (mode IN ('deep-link', 'bind')),
    deployment_id    TEXT NOT NULL DEFAULT '',
    return_url       TEXT NOT NULL DEFAULT '',
    data             TEXT NOT NULL DEFAULT '',
    accept_multiple  BOOLEAN NOT NULL DEFAULT FALSE,
    context_row_id   TEXT NOT NULL DEFAULT '',
    resource_link_id TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    used_at          BIGINT
);
CREATE INDEX lti_picks_expires ON lti_picks (expires_at);

-- +goose Down
DROP TABLE lti_picks;
DROP TABLE lti_items;
DROP TABLE lti_links;
DROP TABLE lti_contexts;
DROP TABLE lti_users;
DROP TABLE lti_nonces;
DROP TABLE lti_login_states;
DROP TABLE lti_keys;
DROP TABLE lti_platforms;

-- Sharing outside the institution (DESIGN §2, §4): share links with their
-- limits, viewers and open log, and guest invitations.
--
-- A link's opens counter and each viewer's opens are the numbers the
-- limits are checked against. They change only in OpenShareLink's
-- transaction, which holds the link row (FOR UPDATE on PostgreSQL; the
-- database write lock, taken at BEGIN, on SQLite), so a limit of N lets
-- exactly N opens through however many race.

-- +goose Up
CREATE TABLE share_links (
    id                   TEXT PRIMARY KEY,
    session_id           TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash           TEXT NOT NULL UNIQUE, -- hex SHA-256 of the token in /s/{token}
    label                TEXT NOT NULL DEFAULT '',
    created_by           TEXT NOT NULL,
    password_hash        TEXT NOT NULL DEFAULT '', -- argon2id PHC; '' for no password
    expires_at           BIGINT,                   -- NULL: never
    max_opens            INTEGER,                  -- NULL: no total limit
    max_views_per_viewer INTEGER,                  -- NULL: no per-viewer limit
    opens                INTEGER NOT NULL DEFAULT 0,
    state                TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended', 'revoked')),
    -- why a suspended link was suspended: 'owner' or 'spike'
    suspended_reason     TEXT NOT NULL DEFAULT '',
    -- spike rule: more than spike_max distinct devices or networks within
    -- spike_window_ms → spike_action ('off', 'notify', 'suspend')
    spike_max            INTEGER NOT NULL,
    spike_window_ms      BIGINT NOT NULL,
    spike_action         TEXT NOT NULL CHECK (spike_action IN ('off', 'notify', 'suspend')),
    spike_notified_at    BIGINT,
    -- opens before spike_since do not count for the spike rule (set when
    -- the owner resumes a link, so that the burst they have seen does not
    -- suspend it again at once)
    spike_since          BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX share_links_session ON share_links (session_id, created_at);

-- Named viewers: signed in with one of these addresses, no password is asked.
CREATE TABLE share_link_named (
    link_id TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    email   TEXT NOT NULL,
    PRIMARY KEY (link_id, email)
);

-- One row per viewer of a link: a signed-in user ('u-' + user id) or an
-- anonymous browser ('b-' + hex SHA-256 of its lectern_viewer cookie).
CREATE TABLE share_viewers (
    link_id     TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    viewer_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    opens       INTEGER NOT NULL DEFAULT 0,
    extra_opens INTEGER NOT NULL DEFAULT 0, -- added by the owner on top of max_views_per_viewer
    first_at    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    PRIMARY KEY (link_id, viewer_id)
);

-- The open log: one row per playback token issued through a link.
-- network is the client's /24 (IPv4) or /48 (IPv6); device a hash of the
-- viewer cookie and user agent. Neither is a full address.
CREATE TABLE share_opens (
    id        TEXT PRIMARY KEY,
    link_id   TEXT NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    viewer_id TEXT NOT NULL,
    network   TEXT NOT NULL DEFAULT '',
    device    TEXT NOT NULL DEFAULT '',
    at        BIGINT NOT NULL
);
CREATE INDEX share_opens_link_at ON share_opens (link_id, at);

-- An invitation of an email address to a folder or a session. The guest
-- account (users.kind = 'guest') and its grant (source 'share') are made
-- when the invitation is; the emailed one-time link sets the password.
CREATE TABLE guest_invitations (
    id                TEXT PRIMARY KEY,
    token_hash        TEXT NOT NULL UNIQUE,
    email             TEXT NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_type     TEXT NOT NULL CHECK (resource_type IN ('folder', 'session')),
    resource_id       TEXT NOT NULL,
    role              TEXT NOT NULL DEFAULT 'viewer',
    access_expires_at BIGINT, -- NULL: the access does not end
    grant_id          TEXT NOT NULL DEFAULT '',
    invited_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    link_expires_at   BIGINT NOT NULL, -- the emailed link works until then
    accepted_at       BIGINT,
    revoked_at        BIGINT
);
CREATE INDEX guest_invitations_resource ON guest_invitations (resource_id, resource_type, created_at);
CREATE INDEX guest_invitations_user ON guest_invitations (user_id);

-- Guest accounts disabled because the site policy stopped allowing them
-- (guests off, or their domain blocked), as opposed to revoked one by one:
-- these are enabled again when the policy allows them again.
CREATE TABLE guest_policy_holds (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    at      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE guest_policy_holds;
DROP TABLE guest_invitations;
DROP TABLE share_opens;
DROP TABLE share_viewers;
DROP TABLE share_link_named;
DROP TABLE share_links;

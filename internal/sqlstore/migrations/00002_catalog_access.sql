-- Catalog and access: the folder tree's ancestry, sessions, groups and
-- memberships, grants, publisher approvals and the audit log.
--
-- Ancestry is a closure table: folder_ancestors holds one row per (folder,
-- ancestor) pair, the folder itself included at depth 0. "Every grant that
-- reaches this session" is then a join on indexed equalities, with no
-- recursion and no LIKE on paths, on both engines. A move rewrites the rows
-- of the moved subtree in the same transaction (sqlstore.MoveFolder).
--
-- Grants and memberships keep their expires_at after expiry until the
-- sweeper deletes them; every query compares expires_at with the
-- transaction's clock, so correctness never depends on the sweeper.

-- +goose Up
ALTER TABLE folders ADD COLUMN recycled_at BIGINT;
-- recycled_root is the folder whose deletion sent this one to the recycle
-- bin (itself when it was deleted directly); restoring that folder brings
-- back exactly what its deletion took.
ALTER TABLE folders ADD COLUMN recycled_root TEXT;

CREATE TABLE folder_ancestors (
    folder_id   TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    ancestor_id TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    depth       INTEGER NOT NULL, -- 0: the folder itself, 1: its parent, ...
    PRIMARY KEY (folder_id, ancestor_id)
);
CREATE INDEX folder_ancestors_ancestor ON folder_ancestors (ancestor_id, folder_id);

WITH RECURSIVE chain (folder_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM folders
    UNION ALL
    SELECT c.folder_id, f.parent_id, c.depth + 1
    FROM chain c JOIN folders f ON f.id = c.ancestor_id
    WHERE f.parent_id IS NOT NULL
)
INSERT INTO folder_ancestors (folder_id, ancestor_id, depth)
SELECT folder_id, ancestor_id, depth FROM chain;

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    folder_id        TEXT REFERENCES folders (id),
    owner_id         TEXT NOT NULL REFERENCES users (id),
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    duration_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
    processing       TEXT NOT NULL DEFAULT 'uploading'
        CHECK (processing IN ('uploading', 'queued', 'processing', 'ready', 'failed')),
    processing_error TEXT NOT NULL DEFAULT '',
    publication      TEXT NOT NULL DEFAULT 'draft'
        CHECK (publication IN ('draft', 'pending-approval', 'published')),
    keep_draft       BOOLEAN NOT NULL DEFAULT FALSE,
    lifecycle        TEXT NOT NULL DEFAULT 'active'
        CHECK (lifecycle IN ('active', 'pending-review', 'archived', 'recycled', 'purged')),
    -- lifecycle_before is the state a recycled session returns to on restore.
    lifecycle_before TEXT NOT NULL DEFAULT '',
    recycled_at      BIGINT,
    recycled_by      TEXT,
    -- recycled_root: the folder whose deletion recycled the session; NULL
    -- when the session itself was deleted.
    recycled_root    TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    published_at     BIGINT
);
CREATE INDEX sessions_folder ON sessions (folder_id, created_at);
CREATE INDEX sessions_owner ON sessions (owner_id, created_at);
CREATE INDEX sessions_created ON sessions (created_at, id);
CREATE INDEX sessions_pending ON sessions (created_at) WHERE publication = 'pending-approval';
CREATE INDEX sessions_recycled_root ON sessions (recycled_root) WHERE recycled_root IS NOT NULL;

CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('manual', 'sso', 'lti-context', 'lti-link')),
    name         TEXT NOT NULL,
    -- external_key: the LTI context or resource-link id, or the SSO claim
    -- value, that this group mirrors; empty for manual groups.
    external_key TEXT NOT NULL DEFAULT '',
    owner_id     TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_external ON groups (kind, external_key) WHERE external_key <> '';
CREATE INDEX groups_owner ON groups (owner_id);

CREATE TABLE group_members (
    group_id   TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT, -- NULL: never
    added_at   BIGINT NOT NULL,
    added_by   TEXT,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id, expires_at);
CREATE INDEX group_members_expires ON group_members (expires_at) WHERE expires_at IS NOT NULL;

-- A grant's principal and resource are polymorphic (user or group; folder
-- or session), so they carry no foreign keys; deleting a group, folder or
-- session deletes its grants in the same transaction.
CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    principal_type TEXT NOT NULL CHECK (principal_type IN ('user', 'group')),
    principal_id   TEXT NOT NULL,
    resource_type  TEXT NOT NULL CHECK (resource_type IN ('folder', 'session')),
    resource_id    TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('viewer', 'creator', 'publisher')),
    expires_at     BIGINT, -- NULL: never
    source         TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'lti', 'share')),
    created_by     TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
-- One grant per principal, resource and source: granting again updates it.
-- The access decision probes this index by resource (and principal).
CREATE UNIQUE INDEX grants_resource ON grants (resource_id, resource_type, principal_type, principal_id, source);
-- Lists start from the principal's own grants; role, expiry and id make it
-- covering for the decision and the lists (no visit to the table).
CREATE INDEX grants_principal ON grants (principal_id, principal_type, resource_type, resource_id, role, expires_at, id);
CREATE INDEX grants_expires ON grants (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'returned')),
    decided_by   TEXT,
    decided_at   BIGINT,
    comment      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_session ON approvals (session_id, requested_at);

-- Append-only: Lectern has no statement that updates or deletes an event.
CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor_id      TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL DEFAULT '',
    resource_id   TEXT NOT NULL DEFAULT '',
    owner_id      TEXT NOT NULL DEFAULT '',
    client_addr   TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
CREATE INDEX audit_events_owner ON audit_events (owner_id, at);
CREATE INDEX audit_events_resource ON audit_events (resource_id, at);
CREATE INDEX audit_events_action ON audit_events (action, at);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE approvals;
DROP TABLE grants;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE sessions;
DROP TABLE folder_ancestors;
ALTER TABLE folders DROP COLUMN recycled_root;
ALTER TABLE folders DROP COLUMN recycled_at;

-- Media: what the pipeline learned and made for each session, the locks
-- that keep resumable uploads consistent across nodes, the site secret
-- that signs playback tokens, and viewing analytics.

-- +goose Up

-- One row per session that has media. rendition_version is the version
-- being served: the blobs under sessions/{id}/hls/v{rendition_version}/
-- are complete before it changes, so a half-written rendition is never
-- served. next_version only grows, so each transcode attempt writes under
-- a fresh prefix.
CREATE TABLE session_media (
    session_id        TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    filename          TEXT NOT NULL DEFAULT '',
    source_size       BIGINT NOT NULL DEFAULT 0,
    -- probe is media.Info as JSON, written once the source passed validation.
    probe             TEXT NOT NULL DEFAULT '',
    next_version      INTEGER NOT NULL DEFAULT 0,
    rendition_version INTEGER NOT NULL DEFAULT 0,
    -- manifest is what the current rendition holds (renditions, stills) as JSON.
    manifest          TEXT NOT NULL DEFAULT '',
    progress          DOUBLE PRECISION NOT NULL DEFAULT 0,
    stage             TEXT NOT NULL DEFAULT '',
    updated_at        BIGINT NOT NULL
);

-- The pipeline's reconciler looks for work that may have been dropped.
CREATE INDEX sessions_unfinished ON sessions (processing, updated_at)
    WHERE processing IN ('uploading', 'queued', 'processing');

-- A lock on one resumable upload, held by one request on one node until
-- expires_at (renewed while held). A waiter sets unlock_requested to ask
-- the holder to let go (tusd's requestUnlock).
CREATE TABLE upload_locks (
    id               TEXT PRIMARY KEY,
    owner            TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    unlock_requested BOOLEAN NOT NULL DEFAULT FALSE
);

-- Secrets the site makes for itself on first start (the playback token
-- key), shared by every node through the database.
CREATE TABLE site_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per playback token issued: a view. Kept when grants expire.
CREATE TABLE session_views (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX session_views_session ON session_views (session_id, at);
CREATE INDEX session_views_user ON session_views (user_id, session_id, at);

-- Per viewer and session: where to resume, and which seconds were watched
-- (a bitmap, one bit per second, base64), so that re-watching a part does
-- not count twice and drop-off can be drawn. Kept when grants expire.
CREATE TABLE viewing_progress (
    session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    position_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
    watched_seconds  INTEGER NOT NULL DEFAULT 0,
    watched          TEXT NOT NULL DEFAULT '',
    first_at         BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX viewing_progress_user ON viewing_progress (user_id, updated_at);

-- +goose Down
DROP TABLE viewing_progress;
DROP TABLE session_views;
DROP TABLE site_secrets;
DROP TABLE upload_locks;
DROP TABLE session_media;
DROP INDEX sessions_unfinished;

-- 0001_init: the core tables of the ticket store.
--
-- Conventions (see storage/doc.go):
--   * Times are INTEGER unix milliseconds, UTC. Integers sort and compare
--     fastest, and millisecond precision matches what platforms report.
--     NULL means "not yet" (first_response_at, resolved_at, ...).
--   * JSON arrays and objects are TEXT; "[]" or NULL when empty.
--   * departments and users live in 0002, so department and assignee_id
--     carry no foreign key here.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE channels (
	id                   INTEGER PRIMARY KEY,
	platform             TEXT    NOT NULL,
	name                 TEXT    NOT NULL,
	account              TEXT    NOT NULL DEFAULT '',
	settings             TEXT    NOT NULL DEFAULT '{}',
	secret               BLOB,
	enabled              INTEGER NOT NULL DEFAULT 1,
	-- hidden channels (the per-platform import channels) are not polled
	-- and not listed by Channels().
	hidden               INTEGER NOT NULL DEFAULT 0,
	poll_interval_ms     INTEGER NOT NULL DEFAULT 0,
	cursor               TEXT    NOT NULL DEFAULT '',
	backfill_since       INTEGER,
	state                TEXT    NOT NULL DEFAULT 'ok',
	last_poll_at         INTEGER,
	last_success_at      INTEGER,
	last_error           TEXT    NOT NULL DEFAULT '',
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	next_poll_at         INTEGER,
	items_total          INTEGER NOT NULL DEFAULT 0,
	created_at           INTEGER NOT NULL
);

CREATE TABLE contacts (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

CREATE TABLE identities (
	id          INTEGER PRIMARY KEY,
	contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	platform    TEXT    NOT NULL,
	external_id TEXT    NOT NULL,
	handle      TEXT    NOT NULL DEFAULT '',
	name        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	UNIQUE (platform, external_id)
);
CREATE INDEX identities_contact ON identities(contact_id);

CREATE TABLE tickets (
	id                INTEGER PRIMARY KEY,
	number            TEXT    NOT NULL UNIQUE,
	status            TEXT    NOT NULL DEFAULT 'new'
		CHECK (status IN ('new', 'open', 'waiting', 'resolved', 'closed')),
	priority          TEXT    NOT NULL DEFAULT 'normal'
		CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
	department        TEXT    NOT NULL DEFAULT '',
	assignee_id       INTEGER,                       -- NULL when unassigned
	-- tags is the JSON array the API reads; the triggers below mirror it
	-- into ticket_tags so that tag filters use an index.
	tags              TEXT    NOT NULL DEFAULT '[]',
	channel_id        INTEGER NOT NULL REFERENCES channels(id),
	platform          TEXT    NOT NULL,
	kind              TEXT    NOT NULL,
	contact_id        INTEGER REFERENCES contacts(id),
	-- thread_key finds the ticket of a DM conversation or of one citizen's
	-- comments under one post (storage/thread.go); '' for mail.
	thread_key        TEXT    NOT NULL DEFAULT '',
	subject           TEXT    NOT NULL DEFAULT '',
	preview           TEXT    NOT NULL DEFAULT '',
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	first_response_at INTEGER,
	resolved_at       INTEGER,
	version           INTEGER NOT NULL DEFAULT 1,
	merged_into       INTEGER REFERENCES tickets(id)
);
-- The ticket list sorts by created or updated time (id breaks ties, and
-- keyset cursors use both) and filters by status, department and assignee.
CREATE INDEX tickets_created            ON tickets(created_at, id);
CREATE INDEX tickets_updated            ON tickets(updated_at, id);
CREATE INDEX tickets_status_created     ON tickets(status, created_at, id);
CREATE INDEX tickets_dept_status_created ON tickets(department, status, created_at, id);
CREATE INDEX tickets_dept_updated       ON tickets(department, updated_at, id);
CREATE INDEX tickets_assignee           ON tickets(assignee_id, status, created_at) WHERE assignee_id IS NOT NULL;
CREATE INDEX tickets_contact            ON tickets(contact_id, created_at);
CREATE INDEX tickets_thread             ON tickets(channel_id, thread_key, id) WHERE thread_key <> '';

CREATE TABLE ticket_tags (
	tag       TEXT    NOT NULL,
	ticket_id INTEGER NOT NULL,
	PRIMARY KEY (tag, ticket_id)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_ticket ON ticket_tags(ticket_id);

CREATE TRIGGER tickets_tags_insert AFTER INSERT ON tickets WHEN NEW.tags <> '[]' BEGIN
	INSERT OR IGNORE INTO ticket_tags(tag, ticket_id)
		SELECT value, NEW.id FROM json_each(NEW.tags);
END;
CREATE TRIGGER tickets_tags_update AFTER UPDATE OF tags ON tickets WHEN NEW.tags IS NOT OLD.tags BEGIN
	DELETE FROM ticket_tags WHERE ticket_id = OLD.id;
	INSERT OR IGNORE INTO ticket_tags(tag, ticket_id)
		SELECT value, NEW.id FROM json_each(NEW.tags);
END;
CREATE TRIGGER tickets_tags_delete AFTER DELETE ON tickets BEGIN
	DELETE FROM ticket_tags WHERE ticket_id = OLD.id;
END;

CREATE TABLE messages (
	id              INTEGER PRIMARY KEY,
	ticket_id       INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
	channel_id      INTEGER NOT NULL REFERENCES channels(id),
	direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out', 'note')),
	-- platform id; '' for notes and replies not sent yet
	external_id     TEXT    NOT NULL DEFAULT '',
	parent_id       TEXT    NOT NULL DEFAULT '',
	author          TEXT    NOT NULL DEFAULT '',
	author_id       INTEGER,                         -- user, for out and note
	contact_id      INTEGER REFERENCES contacts(id), -- citizen, for in
	subject         TEXT    NOT NULL DEFAULT '',
	text            TEXT    NOT NULL DEFAULT '',
	html            TEXT    NOT NULL DEFAULT '',     -- sanitized (storage/sanitize.go)
	url             TEXT    NOT NULL DEFAULT '',
	attachments     TEXT,                            -- JSON array, NULL when none
	refs            TEXT,                            -- JSON array of References, NULL when none ("references" is an SQL keyword)
	lang            TEXT    NOT NULL DEFAULT '',
	edited          INTEGER NOT NULL DEFAULT 0,
	edited_at       INTEGER,
	deleted         INTEGER NOT NULL DEFAULT 0,
	auto_reply      INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	-- outbound only: delivery_state is NULL for in and note.
	delivery_state  TEXT CHECK (delivery_state IN ('pending', 'sent', 'failed')),
	error           TEXT    NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER,
	sent_at         INTEGER
);
-- Invariant 1: a message is identified by (channel, external id).
CREATE UNIQUE INDEX messages_channel_external ON messages(channel_id, external_id) WHERE external_id <> '';
CREATE INDEX messages_ticket ON messages(ticket_id, id);
-- The sender's queue: pending replies by due time.
CREATE INDEX messages_outbound_due ON messages(next_attempt_at) WHERE delivery_state = 'pending';

-- events is append-only (invariant 2). AUTOINCREMENT so that an id is never
-- reused even after the newest rows are deleted: a websocket client resumes
-- by id. No foreign keys: the log outlives what it talks about.
CREATE TABLE events (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	type            TEXT    NOT NULL,
	ticket_id       INTEGER,
	message_id      INTEGER,
	channel_id      INTEGER,
	department      TEXT    NOT NULL DEFAULT '',
	prev_department TEXT    NOT NULL DEFAULT '',
	actor_id        INTEGER,
	data            TEXT,
	created_at      INTEGER NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, id) WHERE ticket_id IS NOT NULL;

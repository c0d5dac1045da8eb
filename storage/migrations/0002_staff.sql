-- 0002_staff: staff accounts and sessions, departments, routing rules,
-- canned answers, per-user read marks, and the indexes the ticket list
-- needs beyond those of 0001. Conventions as in 0001: times are INTEGER unix
-- milliseconds, JSON arrays are TEXT ("[]" when empty).

CREATE TABLE departments (
	id   TEXT PRIMARY KEY,  -- stable slug such as "abfall"
	name TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	-- Logins are ASCII (User.Validate), so NOCASE folds them completely:
	-- "Anna" and "anna" are one login.
	login         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	name          TEXT    NOT NULL,
	role          TEXT    NOT NULL CHECK (role IN ('admin', 'agent', 'department')),
	lang          TEXT    NOT NULL DEFAULT 'de',
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT    NOT NULL,  -- PHC argon2id string (storage/user_password.go)
	created_at    INTEGER NOT NULL
);

-- A join table rather than a JSON column so that a department in use
-- cannot be deleted (the foreign key) and "who is in department X" is an
-- index look-up.
CREATE TABLE user_departments (
	user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	department_id TEXT    NOT NULL REFERENCES departments(id),
	PRIMARY KEY (user_id, department_id)
) WITHOUT ROWID;
CREATE INDEX user_departments_department ON user_departments(department_id);

-- Only the SHA-256 of a session token is stored: a copy of the database
-- holds no usable session.
CREATE TABLE sessions (
	token_hash BLOB    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Ingest reads these columns (storage/route.go); every write bumps
-- meta.rules_version so that its cached router is rebuilt.
CREATE TABLE rules (
	id          INTEGER PRIMARY KEY,
	name        TEXT    NOT NULL,
	position    INTEGER NOT NULL,
	enabled     INTEGER NOT NULL DEFAULT 1,
	keywords    TEXT    NOT NULL DEFAULT '[]',
	pattern     TEXT    NOT NULL DEFAULT '',
	platforms   TEXT    NOT NULL DEFAULT '[]',
	channel_ids TEXT    NOT NULL DEFAULT '[]',
	department  TEXT    NOT NULL DEFAULT '',
	tags        TEXT    NOT NULL DEFAULT '[]',
	priority    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX rules_position ON rules(position, id);

CREATE TABLE canned_answers (
	id         INTEGER PRIMARY KEY,
	title      TEXT NOT NULL,
	shortcut   TEXT NOT NULL DEFAULT '',
	text       TEXT NOT NULL,
	department TEXT NOT NULL DEFAULT ''  -- '' is global
);
-- One composer shows global and department answers together, so a shortcut
-- must be unique across all of them.
CREATE UNIQUE INDEX canned_answers_shortcut ON canned_answers(shortcut) WHERE shortcut <> '';
CREATE INDEX canned_answers_department ON canned_answers(department);

-- What each user has read: message_id is the newest message of the ticket
-- when it was read. A ticket is unread while it has an inbound message with
-- a higher id; ids, unlike platform timestamps, only grow, so a late
-- backfilled message still counts as new.
CREATE TABLE ticket_reads (
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
	message_id INTEGER NOT NULL,
	read_at    INTEGER NOT NULL,
	PRIMARY KEY (user_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX ticket_reads_ticket ON ticket_reads(ticket_id);

-- The ticket list's "priority" sort (most pressing first, then oldest)
-- walks this index in ascending order, urgent = 0; the expression must stay
-- identical to urgencyOrder in storage/ticket_list.go, or the planner sorts
-- every row instead.
CREATE INDEX tickets_urgency_created ON tickets(
	(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END),
	created_at, id);

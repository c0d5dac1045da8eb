-- Rows in a database at version 1, so that later migrations are tested
-- against data, not an empty file.
INSERT INTO channels(id, platform, name, account, created_at) VALUES (1, 'mastodon', 'Mastodon @stadt', '@stadt', 1764000000000);
INSERT INTO contacts(id, name, created_at) VALUES (1, 'Roswitha Berg', 1764000000000);
INSERT INTO identities(contact_id, platform, external_id, handle, name, created_at) VALUES (1, 'mastodon', '109', '@ros', 'Roswitha Berg', 1764000000000);
INSERT INTO tickets(id, number, status, priority, department, tags, channel_id, platform, kind, contact_id, thread_key, created_at, updated_at)
	VALUES (1, 'A-2026-000001', 'open', 'high', 'umwelt', '["baum","gefahr"]', 1, 'mastodon', 'dm', 1, 'dm:c1', 1764000000000, 1764000000000);
INSERT INTO messages(ticket_id, channel_id, direction, external_id, author, contact_id, text, created_at)
	VALUES (1, 1, 'in', 'm1', '@ros', 1, 'Die Kastanie hat einen Riss.', 1764000000000);
INSERT INTO events(type, ticket_id, department, created_at) VALUES ('ticket.created', 1, 'umwelt', 1764000000000);
INSERT INTO meta(key, value) VALUES ('ticket_seq_2026', '1');

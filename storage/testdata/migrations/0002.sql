-- Rows in a database at version 2 (staff tables), on top of 0001.sql.
INSERT INTO departments(id, name) VALUES ('umwelt', 'Umwelt und Grünflächen');
INSERT INTO users(id, login, name, role, lang, password_hash, created_at)
	VALUES (1, 'anna', 'Anna Schmidt', 'department', 'de', '$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 1764000000000);
INSERT INTO user_departments(user_id, department_id) VALUES (1, 'umwelt');
INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at) VALUES (x'00', 1, 'csrf', 1764000000000, 1764003600000);
INSERT INTO rules(id, name, position, keywords, department, tags) VALUES (1, 'Bäume', 1, '["baum"]', 'umwelt', '["baum"]');
INSERT INTO canned_answers(id, title, shortcut, text) VALUES (1, 'Danke', 'danke', 'Vielen Dank!');
INSERT INTO ticket_reads(user_id, ticket_id, message_id, read_at) VALUES (1, 1, 1, 1764000000000);
INSERT INTO meta(key, value) VALUES ('rules_version', '1');

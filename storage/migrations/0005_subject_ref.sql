-- 0005_subject_ref: a ticket without a subject of its own (everything but
-- mail) no longer stores the start of its first message as one. first_id
-- names the ticket's first message; readers cut the subject from it when
-- subject is '' (storage/ticket.go). Like preview_id (0004), it replaces
-- a copy of message text, 80 characters per ticket. Rows written before
-- keep their subject and a NULL first_id.
ALTER TABLE tickets ADD COLUMN first_id INTEGER;

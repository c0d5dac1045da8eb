-- Rows in a database at version 3, on top of 0001.sql and 0002.sql: the
-- preview as a copy of the text, as tickets had it before 0004.
UPDATE tickets SET preview = 'Die Kastanie hat einen Riss.', subject = 'Die Kastanie hat einen Riss.' WHERE id = 1;

-- 0003_ticket_list: what lets every common ticket list walk an index in
-- list order instead of sorting the matching rows (docs/BENCHMARKS.md,
-- "Ticket list"). A page then reads about one page of index entries, at
-- any depth, because the keyset cursor seeks into the index.

-- urgency orders priorities most pressing first (urgent = 0). A generated
-- column rather than an expression index: SQLite seeks an index with a
-- row-value cursor (urgency, created_at, id) > (?, ?, ?) only on columns;
-- on the expression index of 0002 it scanned from the start for deep pages.
-- VIRTUAL costs no space in the table, only in the indexes.
ALTER TABLE tickets ADD COLUMN urgency INTEGER GENERATED ALWAYS AS
	(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END) VIRTUAL;
DROP INDEX tickets_urgency_created;
CREATE INDEX tickets_urgency_created ON tickets(urgency, created_at, id);
CREATE INDEX tickets_dept_urgency_created ON tickets(department, urgency, created_at, id);

-- A department's tickets newest or oldest first, whatever the statuses.
CREATE INDEX tickets_dept_created ON tickets(department, created_at, id);

// Package storage is the ticket store on SQLite (modernc.org/sqlite): one
// file, embedded numbered migrations, one writer connection beside a pool of
// readers. It implements the service interfaces of the root package.
//
// Conventions for every file of the package:
//
//   - Times are stored as INTEGER unix milliseconds in UTC (unixMS, timeMS).
//   - Every write runs in db.write, a BEGIN IMMEDIATE transaction on the one
//     writer connection, and appends its events with appendEvent in the same
//     transaction (invariant 2). Reads use db.read, the reader pool.
//   - Errors leave the package as *anliegen.Error where a caller must act
//     (dbError turns sql.ErrNoRows and constraint failures into codes).
//   - Ingest writes ticket.created (data: number, rule_id, rule_name: why
//     the ticket landed where it did) followed by message.created for every
//     new message, message.updated for edits and deletes on the platform,
//     and ticket.updated (data: status, prev_status, reason "reopened")
//     when a message reopens a ticket. ImportHistory writes one
//     ticket.created per record (data: imported, messages). The outbound
//     queue writes reply.sent and reply.failed, SetChannelHealth
//     channel.health.
//   - Platform ids (external, thread, parent, author) are stored byte for
//     byte: they are keys. Text fields are sanitized (sanitize.go).
//   - The meta table holds small counters: "rules_version" is bumped by every
//     change to the rules table so that ingest reloads its cached router;
//     "ticket_seq_<year>" numbers tickets per year.
package storage

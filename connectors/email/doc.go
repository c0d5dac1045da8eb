// Package email is the e-mail connector: it polls one IMAP mailbox into
// anliegen.Items and sends staff replies by SMTP submission.
//
// Polling. The cursor is (UIDVALIDITY, last UID). Each Poll opens a
// connection, EXAMINEs the mailbox, returns at once when UIDNEXT says nothing
// arrived, and otherwise fetches up to BatchSize messages with
// UID FETCH n:m (UID INTERNALDATE BODY.PEEK[]), so \Seen stays untouched
// for staff who read the mailbox in a mail client. A new UIDVALIDITY (the
// mailbox was recreated or restored) re-scans from the backfill date; the
// store's dedup on Message-ID absorbs what it already holds. The runtime
// polls every DefaultPollInterval; Connector implements anliegen.Waiter,
// so a runtime that supports it can block in Wait (IMAP IDLE) between polls
// and poll as soon as mail arrives.
//
// Items. ExternalID is the Message-ID without brackets, or for mail without
// one a hash of the sender-set headers and the body, stable across re-scans.
// ParentID is In-Reply-To, ThreadID the first References id. The author is
// the Reply-To address (else From), lower-cased. Auto-generated and bulk
// mail (RFC 3834 Auto-Submitted, Precedence, List-Id, null Return-Path,
// delivery reports, mailer-daemon) is marked AutoReply: the store keeps it,
// and nothing in Anliegen answers it automatically; staff may still answer
// by hand, which is why Reply does not refuse it.
//
// Replies. The Message-ID of a reply is derived from the outbound message's
// ID, so a retry sends the same mail; with a Sent mailbox configured a retry
// first looks there and does not send twice (see Reply).
package email

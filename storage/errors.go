package storage

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/anliegen/anliegen"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dbError turns the errors a caller must act on into *anliegen.Error:
// sql.ErrNoRows becomes ENotFound ("<what> not found"), a UNIQUE or PRIMARY
// KEY violation EConflict, a FOREIGN KEY, CHECK or NOT NULL violation
// EInvalid. Anything else is wrapped as "<what>: err" and stays internal.
// nil stays nil.
func dbError(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *anliegen.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &anliegen.Error{Code: anliegen.ENotFound, Message: what + " not found", Err: err}
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &anliegen.Error{Code: anliegen.EConflict, Message: what + " already exists", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &anliegen.Error{Code: anliegen.EInvalid, Message: what + " refers to something that does not exist", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return &anliegen.Error{Code: anliegen.EInvalid, Message: what + " has an invalid value", Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// sqliteCode returns the extended result code of a driver error, 0 if err
// is no SQLite error.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isNoSuchTable reports whether err says a table is missing, which the
// store tolerates for tables of later migrations (rules before 0002).
func isNoSuchTable(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_ERROR &&
		containsFold(se.Error(), "no such table")
}

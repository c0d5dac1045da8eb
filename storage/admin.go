package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/anliegen/anliegen"
)

var _ anliegen.AdminService = (*DB)(nil)

// Departments returns all departments ordered by name.
func (db *DB) Departments(ctx context.Context) ([]anliegen.Department, error) {
	rows, err := db.read().QueryContext(ctx, `SELECT id, name FROM departments ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	defer rows.Close()
	out := []anliegen.Department{}
	for rows.Next() {
		var d anliegen.Department
		if err := rows.Scan(&d.ID, &d.Name); err != nil {
			return nil, fmt.Errorf("scan department: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return out, nil
}

// CreateDepartment stores d. EInvalid (id, name), EConflict (id taken).
func (db *DB) CreateDepartment(ctx context.Context, d *anliegen.Department) error {
	d.Name = strings.TrimSpace(d.Name)
	if err := d.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO departments(id, name) VALUES (?, ?)`, d.ID, d.Name)
		if err = dbError(err, "department"); anliegen.ErrorCode(err) == anliegen.EConflict {
			return &anliegen.Error{Code: anliegen.EConflict, Field: "id", Message: "department id is taken", Err: err}
		}
		return err
	})
}

// UpdateDepartment renames d.ID; the id itself never changes because
// tickets, users and rules refer to it. ENotFound, EInvalid (name).
func (db *DB) UpdateDepartment(ctx context.Context, d *anliegen.Department) error {
	d.Name = strings.TrimSpace(d.Name)
	if err := d.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE departments SET name = ? WHERE id = ?`, d.Name, d.ID)
		if err != nil {
			return fmt.Errorf("update department: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "department not found")
		}
		return nil
	})
}

// departmentUses are the places a department id is referred to; deleting
// a department still in use would leave tickets routed nowhere visible.
var departmentUses = []struct{ what, query string }{
	{"tickets", `SELECT count(*) FROM (SELECT 1 FROM tickets WHERE department = ? LIMIT 1)`},
	{"users", `SELECT count(*) FROM user_departments WHERE department_id = ?`},
	{"rules", `SELECT count(*) FROM rules WHERE department = ?`},
	{"canned answers", `SELECT count(*) FROM canned_answers WHERE department = ?`},
}

// DeleteDepartment removes an unused department. ENotFound; EConflict
// while tickets, users, rules or canned answers still refer to it.
func (db *DB) DeleteDepartment(ctx context.Context, id string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		for _, u := range departmentUses {
			var n int
			if err := tx.QueryRowContext(ctx, u.query, id).Scan(&n); err != nil {
				return fmt.Errorf("department uses: %w", err)
			}
			if n > 0 {
				return anliegen.Errorf(anliegen.EConflict, "department is still used by %s", u.what)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM departments WHERE id = ?`, id)
		if err != nil {
			return dbError(err, "department")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "department not found")
		}
		return nil
	})
}

// CannedAnswers returns the global answers and those of the departments in
// scope, ordered by title; the zero scope sees none.
func (db *DB) CannedAnswers(ctx context.Context, scope anliegen.Scope) ([]anliegen.CannedAnswer, error) {
	out := []anliegen.CannedAnswer{}
	if !scope.All && len(scope.Departments) == 0 {
		return out, nil
	}
	q := `SELECT id, title, shortcut, text, department FROM canned_answers`
	var args []any
	if !scope.All {
		q += ` WHERE department = '' OR department IN (` + placeholders(len(scope.Departments)) + `)`
		args = anyStrings(scope.Departments)
	}
	rows, err := db.read().QueryContext(ctx, q+` ORDER BY title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list canned answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a anliegen.CannedAnswer
		if err := rows.Scan(&a.ID, &a.Title, &a.Shortcut, &a.Text, &a.Department); err != nil {
			return nil, fmt.Errorf("scan canned answer: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list canned answers: %w", err)
	}
	return out, nil
}

// CreateCannedAnswer stores a and sets a.ID. EInvalid (title, shortcut,
// text, department), EConflict (shortcut taken).
func (db *DB) CreateCannedAnswer(ctx context.Context, a *anliegen.CannedAnswer) error {
	return db.saveCannedAnswer(ctx, a, true, func(tx *sql.Tx) (sql.Result, error) {
		return tx.ExecContext(ctx, `INSERT INTO canned_answers(title, shortcut, text, department) VALUES (?, ?, ?, ?)`,
			a.Title, a.Shortcut, a.Text, a.Department)
	})
}

// UpdateCannedAnswer stores a under a.ID. ENotFound, EInvalid, EConflict.
func (db *DB) UpdateCannedAnswer(ctx context.Context, a *anliegen.CannedAnswer) error {
	return db.saveCannedAnswer(ctx, a, false, func(tx *sql.Tx) (sql.Result, error) {
		return tx.ExecContext(ctx, `UPDATE canned_answers SET title = ?, shortcut = ?, text = ?, department = ? WHERE id = ?`,
			a.Title, a.Shortcut, a.Text, a.Department, a.ID)
	})
}

func (db *DB) saveCannedAnswer(ctx context.Context, a *anliegen.CannedAnswer, insert bool, exec func(*sql.Tx) (sql.Result, error)) error {
	a.Title, a.Shortcut = strings.TrimSpace(a.Title), strings.TrimSpace(a.Shortcut)
	if err := a.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		if a.Department != "" {
			if err := checkDepartments(ctx, tx, "department", a.Department); err != nil {
				return err
			}
		}
		res, err := exec(tx)
		if err = dbError(err, "canned answer"); anliegen.ErrorCode(err) == anliegen.EConflict {
			return &anliegen.Error{Code: anliegen.EConflict, Field: "shortcut", Message: "shortcut is taken", Err: err}
		} else if err != nil {
			return err
		}
		if insert {
			a.ID, err = res.LastInsertId()
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "canned answer not found")
		}
		return nil
	})
}

// DeleteCannedAnswer removes one answer; ENotFound.
func (db *DB) DeleteCannedAnswer(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM canned_answers WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete canned answer: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "canned answer not found")
		}
		return nil
	})
}

// placeholders returns "?, ?, ?" for n parameters.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

func anyStrings[T ~string](v []T) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

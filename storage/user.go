package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/anliegen/anliegen"
	"golang.org/x/crypto/argon2"
)

var _ anliegen.UserService = (*DB)(nil)

// minPasswordLen follows BSI IT-Grundschutz ORP.4 for accounts without a
// second factor: long rather than complex.
const minPasswordLen = 10

// hashParams returns the argon2id cost for new hashes: the production
// parameters unless a test lowered them.
func (db *DB) hashParams() argonParams {
	if db.argon.memory == 0 {
		return defaultArgon
	}
	return db.argon
}

// SetMinPasswordLength changes the minimum password length for passwords
// set through this handle from then on. Only the demo lowers it, for its
// well-known logins on a loopback-only server; n < 1 restores the default.
func (db *DB) SetMinPasswordLength(n int) { db.minPassword = n }

func (db *DB) validatePassword(password string) error {
	minLen := minPasswordLen
	if db.minPassword > 0 {
		minLen = db.minPassword
	}
	switch {
	case len([]rune(password)) < minLen:
		return anliegen.Invalid("password", "must be at least %d characters", minLen)
	case len(password) > maxPasswordLen:
		return anliegen.Invalid("password", "must be at most %d bytes", maxPasswordLen)
	}
	return nil
}

// normalizeUser sorts and de-duplicates departments and sets the default
// language, so that what is stored and returned is canonical.
func normalizeUser(u *anliegen.User) {
	u.Login = strings.TrimSpace(u.Login)
	u.Name = strings.TrimSpace(u.Name)
	if u.Lang == "" {
		u.Lang = "de"
	}
	slices.Sort(u.Departments)
	u.Departments = slices.Compact(u.Departments)
	if u.Departments == nil {
		u.Departments = []string{}
	}
}

// CreateUser stores u with password and sets u.ID and u.CreatedAt.
// EInvalid names the field (login, name, role, departments, lang,
// password); EConflict when the login is taken in any letter case.
func (db *DB) CreateUser(ctx context.Context, u *anliegen.User, password string) error {
	normalizeUser(u)
	if err := u.Validate(); err != nil {
		return err
	}
	if err := db.validatePassword(password); err != nil {
		return err
	}
	// Hash before the transaction: it takes tens of milliseconds, and the
	// writer connection is shared by everything else.
	hash, err := hashPassword(password, db.hashParams())
	if err != nil {
		return err
	}
	now := db.now()
	return db.write(ctx, func(tx *sql.Tx) error {
		if err := checkDepartments(ctx, tx, "departments", u.Departments...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users(login, name, role, lang, disabled, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Login, u.Name, string(u.Role), u.Lang, boolInt(u.Disabled), hash, unixMS(now))
		if err != nil {
			return loginError(err)
		}
		if u.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		u.CreatedAt = timeMS(unixMS(now))
		return setUserDepartments(ctx, tx, u.ID, u.Departments)
	})
}

// loginError turns a unique violation on users.login into an EConflict
// that names the field.
func loginError(err error) error {
	err = dbError(err, "user")
	if anliegen.ErrorCode(err) == anliegen.EConflict {
		return &anliegen.Error{Code: anliegen.EConflict, Field: "login", Message: "login is taken", Err: err}
	}
	return err
}

func setUserDepartments(ctx context.Context, tx *sql.Tx, userID int64, depts []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_departments WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("set user departments: %w", err)
	}
	for _, d := range depts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_departments(user_id, department_id) VALUES (?, ?)`, userID, d); err != nil {
			return dbError(err, "user department")
		}
	}
	return nil
}

// checkDepartments returns EInvalid about field when one of ids is not a
// department.
func checkDepartments(ctx context.Context, q queryer, field string, ids ...string) error {
	for _, id := range ids {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM departments WHERE id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("check department: %w", err)
		}
		if n == 0 {
			return anliegen.Invalid(field, "unknown department %q", id)
		}
	}
	return nil
}

// Authenticate returns the user for login and password. An unknown login,
// a wrong password and a disabled user all give the same EUnauthorized,
// and all of them cost one argon2id computation, so that neither the
// answer nor its timing tells whether a login exists.
func (db *DB) Authenticate(ctx context.Context, login, password string) (anliegen.User, error) {
	denied := anliegen.Errorf(anliegen.EUnauthorized, "wrong login or password")
	if len(password) > maxPasswordLen {
		return anliegen.User{}, denied
	}
	u, hash, err := db.userWithHash(ctx, login)
	if anliegen.ErrorCode(err) == anliegen.ENotFound {
		p := db.hashParams()
		argon2.IDKey([]byte(password), make([]byte, p.saltLen), p.time, p.memory, p.threads, p.keyLen)
		return anliegen.User{}, denied
	}
	if err != nil {
		return anliegen.User{}, err
	}
	ok, err := verifyPassword(hash, password)
	if err != nil {
		return anliegen.User{}, fmt.Errorf("user %d: %w", u.ID, err)
	}
	if !ok || u.Disabled {
		return anliegen.User{}, denied
	}
	return u, nil
}

const userColumns = `u.id, u.login, u.name, u.role, u.lang, u.disabled, u.created_at,
	coalesce((SELECT json_group_array(department_id) FROM
		(SELECT department_id FROM user_departments WHERE user_id = u.id ORDER BY department_id)), '[]')`

func scanUser(sc interface{ Scan(...any) error }, extra ...any) (anliegen.User, error) {
	var (
		u       anliegen.User
		role    string
		created int64
		depts   sql.NullString
	)
	dest := append([]any{&u.ID, &u.Login, &u.Name, &role, &u.Lang, &u.Disabled, &created, &depts}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return u, err
	}
	u.Role = anliegen.Role(role)
	u.CreatedAt = timeMS(created)
	u.Departments = parseJSONArray[string](depts)
	if u.Departments == nil {
		u.Departments = []string{}
	}
	return u, nil
}

func (db *DB) userWithHash(ctx context.Context, login string) (anliegen.User, string, error) {
	var hash string
	row := db.read().QueryRowContext(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.login = ?`, login)
	u, err := scanUser(row, &hash)
	return u, hash, dbError(err, "user")
}

// User returns the user with id; ENotFound.
func (db *DB) User(ctx context.Context, id int64) (anliegen.User, error) {
	row := db.read().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id)
	u, err := scanUser(row)
	return u, dbError(err, "user")
}

// UserByLogin returns the user with login in any letter case; ENotFound.
func (db *DB) UserByLogin(ctx context.Context, login string) (anliegen.User, error) {
	row := db.read().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.login = ?`, login)
	u, err := scanUser(row)
	return u, dbError(err, "user")
}

// Users returns all users ordered by login.
func (db *DB) Users(ctx context.Context) ([]anliegen.User, error) {
	rows, err := db.read().QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.login`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	users := []anliegen.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// UpdateUser stores login, name, role, departments, language and disabled
// of u.ID; the password stays. ENotFound, EInvalid, EConflict (login taken,
// or the change would leave no enabled admin: nobody could then manage
// users without the command line). Disabling a user ends their sessions at
// once, since SessionUser checks the flag on every request.
func (db *DB) UpdateUser(ctx context.Context, u *anliegen.User) error {
	normalizeUser(u)
	if err := u.Validate(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		if err := checkDepartments(ctx, tx, "departments", u.Departments...); err != nil {
			return err
		}
		admins := `SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled`
		var before, after int
		if err := tx.QueryRowContext(ctx, admins).Scan(&before); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		var created int64
		err := tx.QueryRowContext(ctx, `UPDATE users SET login = ?, name = ?, role = ?, lang = ?, disabled = ?
			WHERE id = ? RETURNING created_at`,
			u.Login, u.Name, string(u.Role), u.Lang, boolInt(u.Disabled), u.ID).Scan(&created)
		if err != nil {
			return loginError(err)
		}
		if err := tx.QueryRowContext(ctx, admins).Scan(&after); err != nil {
			return fmt.Errorf("count admins: %w", err)
		}
		if before > 0 && after == 0 {
			return &anliegen.Error{Code: anliegen.EConflict, Field: "role", Message: "the last enabled admin cannot be demoted or disabled"}
		}
		u.CreatedAt = timeMS(created)
		return setUserDepartments(ctx, tx, u.ID, u.Departments)
	})
}

// SetPassword replaces the user's password and revokes all their
// sessions, so that a password changed after a theft locks the thief
// out. ENotFound, EInvalid (password).
func (db *DB) SetPassword(ctx context.Context, userID int64, password string) error {
	if err := db.validatePassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password, db.hashParams())
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return anliegen.Errorf(anliegen.ENotFound, "user not found")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked = 1 WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		return nil
	})
}

// CountUsers returns the number of users; the server offers first-run
// setup while it is 0.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

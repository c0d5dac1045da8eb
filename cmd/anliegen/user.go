package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/anliegen/anliegen"
)

// runUser manages staff accounts. The password is read from the first line
// of stdin, never from a flag: flags end up in shell history and ps output.
func runUser(ctx context.Context, g *Global, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageErr("expected 'user add --login L --name N --role admin|agent|department [--departments a,b]' with the password on stdin")
	}
	fs := newFlagSet("user add", g.Env)
	login := fs.String("login", "", "login name")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "agent", "role: admin, agent or department")
	depts := fs.String("departments", "", "comma-separated department ids (for role department)")
	lang := fs.String("lang", "de", "UI language: de or en")
	if err := parseFlags(fs, args[1:], g.Env); err != nil {
		return err
	}
	u := anliegen.User{Login: *login, Name: *name, Role: anliegen.Role(*role), Lang: *lang}
	if *name == "" {
		u.Name = *login
	}
	for _, d := range strings.Split(*depts, ",") {
		if d = strings.TrimSpace(d); d != "" {
			u.Departments = append(u.Departments, d)
		}
	}
	if err := u.Validate(); err != nil {
		return usageErr("%v", err)
	}
	pw, err := readLine(g.Env.Stdin)
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	if len(pw) < 8 {
		return usageErr("password on stdin must have at least 8 characters")
	}
	db, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CreateUser(ctx, &u, pw); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintf(g.Env.Stdout, "user %s (%s) created with id %d\n", u.Login, u.Role, u.ID)
	return nil
}

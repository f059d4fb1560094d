// Package demo seeds a fresh embedded site with people and a course, so
// that `make run` shows a working Lectern on first start.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
)

// Accounts are the demo people, by role.
var Accounts = []struct {
	Role, Email, Name string
	Admin             bool
}{
	{"admin", "admin@demo.lectern.test", "Ada Admin", true},
	{"lecturer", "lecturer@demo.lectern.test", "Dr Lee Lecturer", false},
	{"student", "student@demo.lectern.test", "Sam Student", false},
}

// CourseName is the demo course folder.
const CourseName = "DEMO101 Introduction to Lecture Capture"

// Result is what Seed created; Passwords is keyed by role.
type Result struct {
	Seeded    bool
	Passwords map[string]string
	Course    lectern.Folder
}

// Seed creates the demo accounts and course when the site has no users
// yet, and prints the passwords once to out. A site that already has users
// is left alone.
func Seed(ctx context.Context, ids *identity.Service, cat *catalog.Service, out io.Writer) (Result, error) {
	n, err := ids.CountUsers(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("demo: count users: %w", err)
	}
	if n > 0 {
		return Result{}, nil
	}
	res := Result{Seeded: true, Passwords: map[string]string{}}
	var lecturerID string
	for _, a := range Accounts {
		pw := password()
		u, err := ids.CreateUser(ctx, identity.NewUser{Email: a.Email, Name: a.Name, Password: pw, IsAdmin: a.Admin, Kind: lectern.UserLocal})
		if err != nil {
			return Result{}, fmt.Errorf("demo: create %s: %w", a.Role, err)
		}
		res.Passwords[a.Role] = pw
		if a.Role == "lecturer" {
			lecturerID = u.ID
		}
	}
	res.Course, err = cat.CreateFolder(ctx, catalog.NewFolder{Name: CourseName, OwnerID: lecturerID})
	if err != nil {
		return Result{}, fmt.Errorf("demo: create course folder: %w", err)
	}
	fmt.Fprintln(out, "")
	fmt.Fprintln(out, "  Demo site created. These passwords are shown only once:")
	for _, a := range Accounts {
		fmt.Fprintf(out, "    %-9s %-28s %s\n", a.Role, a.Email, res.Passwords[a.Role])
	}
	fmt.Fprintf(out, "  Course folder: %s\n\n", CourseName)
	return res, nil
}

// password returns a random 26-character password (128 bits).
func password() string { return rand.Text() }

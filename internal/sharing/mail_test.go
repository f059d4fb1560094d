package sharing

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestMailsGolden(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	owner := sqlstore.Contact{Email: "lecturer@uni.example", Name: "Dr Lee"}
	out := sqlstore.ShareOpenOutcome{
		Link:     lectern.ShareLink{ID: "L1", Label: "External examiner", Spike: lectern.SpikeRule{MaxDistinct: 3, Window: 24 * time.Hour, Action: lectern.SpikeSuspend}},
		Devices:  4,
		Networks: 2,
	}
	suspended := out
	suspended.SpikeSuspended = true
	inv := lectern.GuestInvitation{Email: "examiner@partner.example", AccessExpiresAt: at.Add(30 * 24 * time.Hour),
		LinkExpiresAt: at.Add(14 * 24 * time.Hour)}
	cases := []struct {
		name  string
		write func() (string, string)
	}{
		{"spike_notify", func() (string, string) { return spikeMail(owner, out, "Lecture 1", "https://lectern.test/links/L1") }},
		{"spike_suspend", func() (string, string) {
			return spikeMail(owner, suspended, "Lecture 1", "https://lectern.test/links/L1")
		}},
		{"invitation_guest", func() (string, string) {
			return invitationMail(owner, "recording", "Lecture 1", inv, "https://lectern.test/invitations/TOKEN", true)
		}},
		{"invitation_member", func() (string, string) {
			return invitationMail(owner, "folder", "Course", lectern.GuestInvitation{Email: "colleague@uni.example"},
				"https://lectern.test/folders/F1", false)
		}},
	}
	for _, c := range cases {
		subject, text := c.write()
		got := "Subject: " + subject + "\n\n" + text
		golden := filepath.Join("testdata", c.name+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("read golden (run with -update to create it): %v", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (run with -update):\n--- got\n%s\n--- want\n%s", c.name, golden, got, want)
		}
	}
}

package access

import "github.com/lectern-edu/lectern"

// MemberOnly refuses a guest (an invited outsider) what only members of
// the institution may do: create folders, upload, make groups. what says
// it in words ("create folders"). It is nil for everyone else; the access
// decision already limits guests to viewing what was shared with them,
// and this covers the actions that are not about an existing resource.
func MemberOnly(p lectern.Principal, what string) error {
	if p.Guest {
		return lectern.Errorf(lectern.EForbidden, "Guest accounts can watch what was shared with them, and cannot %s.", what)
	}
	return nil
}

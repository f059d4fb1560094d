package lti

import "strings"

// CourseRole is what a launching user is in the course, reduced to what
// Lectern acts on (seed 002): instructors (teachers, teaching assistants,
// content developers, managers and administrators) become creators of the
// course folder; learners become viewers; anyone else is a guest, who is
// a viewer only in a course the platform marks public.
type CourseRole int

const (
	RoleGuest CourseRole = iota
	RoleLearner
	RoleInstructor
)

func (r CourseRole) String() string {
	switch r {
	case RoleInstructor:
		return "instructor"
	case RoleLearner:
		return "learner"
	}
	return "guest"
}

const lisVocab = "http://purl.imsglobal.org/vocab/lis/v2/"

// MapRoles reduces LTI role names to a CourseRole. It accepts LTI 1.3 role
// URIs (http://purl.imsglobal.org/vocab/lis/v2/...), LTI 1.1 short names
// (Instructor, Learner, ...), and the urn:lti:role/instrole/sysrole URNs.
// The strongest role wins.
func MapRoles(roles []string) CourseRole {
	best := RoleGuest
	for _, r := range roles {
		if c := mapRole(strings.TrimSpace(r)); c > best {
			best = c
		}
	}
	return best
}

func mapRole(r string) CourseRole {
	switch {
	case r == "":
		return RoleGuest
	case strings.HasPrefix(r, lisVocab):
		return mapVocabRole(strings.TrimPrefix(r, lisVocab))
	case strings.HasPrefix(r, "urn:lti:role:ims/lis/"):
		return mapShortRole(principal(strings.TrimPrefix(r, "urn:lti:role:ims/lis/")))
	case strings.HasPrefix(r, "urn:lti:instrole:ims/lis/"), strings.HasPrefix(r, "urn:lti:sysrole:ims/lis/"):
		// Institution and system roles: only administrators count.
		name := r[strings.LastIndex(r, "/")+1:]
		if name == "Administrator" || name == "SysAdmin" {
			return RoleInstructor
		}
		return RoleGuest
	case !strings.Contains(r, ":"):
		return mapShortRole(principal(r))
	}
	return RoleGuest
}

// principal returns the principal role of a sub-role written
// "Instructor/TeachingAssistant" (LTI 1.1 URNs).
func principal(r string) string {
	name, sub, ok := strings.Cut(r, "/")
	if ok && name == "Instructor" && sub != "" {
		return "Instructor"
	}
	return name
}

func mapShortRole(name string) CourseRole {
	switch name {
	case "Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator", "Manager":
		return RoleInstructor
	case "Learner", "Mentor", "Member":
		return RoleLearner
	}
	return RoleGuest
}

// mapVocabRole maps the part of an LTI 1.3 role URI after the LIS v2
// vocabulary prefix: membership#Instructor, membership/Instructor#TeachingAssistant,
// system/person#Administrator, institution/person#Guest, ...
func mapVocabRole(rest string) CourseRole {
	path, name, _ := strings.Cut(rest, "#")
	switch {
	case path == "system/person" || path == "institution/person":
		if name == "Administrator" || name == "SysAdmin" {
			return RoleInstructor
		}
		return RoleGuest
	case path == "membership":
		switch name {
		case "Instructor", "ContentDeveloper", "Manager", "Administrator":
			return RoleInstructor
		case "Learner", "Mentor", "Member":
			return RoleLearner
		}
		return RoleGuest
	case strings.HasPrefix(path, "membership/"):
		// A sub-role: what counts is its principal role.
		return mapVocabRole("membership#" + strings.TrimPrefix(path, "membership/"))
	}
	return RoleGuest
}

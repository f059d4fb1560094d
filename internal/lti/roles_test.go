package lti_test

import (
	"testing"

	"github.com/lectern-edu/lectern/internal/lti"
)

func TestMapRoles(t *testing.T) {
	t.Parallel()
	const v = "http://purl.imsglobal.org/vocab/lis/v2/"
	cases := []struct {
		name  string
		roles []string
		want  lti.CourseRole
	}{
		{"instructor", []string{v + "membership#Instructor"}, lti.RoleInstructor},
		{"teaching assistant sub-role", []string{v + "membership/Instructor#TeachingAssistant"}, lti.RoleInstructor},
		{"content developer", []string{v + "membership#ContentDeveloper"}, lti.RoleInstructor},
		{"course administrator", []string{v + "membership#Administrator"}, lti.RoleInstructor},
		{"system administrator", []string{v + "system/person#Administrator"}, lti.RoleInstructor},
		{"institution administrator", []string{v + "institution/person#Administrator"}, lti.RoleInstructor},
		{"learner", []string{v + "membership#Learner"}, lti.RoleLearner},
		{"mentor", []string{v + "membership#Mentor"}, lti.RoleLearner},
		{"guest learner sub-role", []string{v + "membership/Learner#GuestLearner"}, lti.RoleLearner},
		{"institution guest", []string{v + "institution/person#Guest"}, lti.RoleGuest},
		{"institution instructor is no course role", []string{v + "institution/person#Instructor"}, lti.RoleGuest},
		{"no roles", nil, lti.RoleGuest},
		{"strongest wins", []string{v + "membership#Learner", v + "membership#Instructor"}, lti.RoleInstructor},
		{"LTI 1.1 short names", []string{"Learner", "Instructor"}, lti.RoleInstructor},
		{"LTI 1.1 TA short name", []string{"TeachingAssistant"}, lti.RoleInstructor},
		{"LTI 1.1 learner URN", []string{"urn:lti:role:ims/lis/Learner"}, lti.RoleLearner},
		{"LTI 1.1 TA URN", []string{"urn:lti:role:ims/lis/Instructor/TeachingAssistant"}, lti.RoleInstructor},
		{"LTI 1.1 sysadmin URN", []string{"urn:lti:sysrole:ims/lis/SysAdmin"}, lti.RoleInstructor},
		{"LTI 1.1 institution student URN", []string{"urn:lti:instrole:ims/lis/Student"}, lti.RoleGuest},
		{"unknown", []string{"https://example.org/role#Wizard"}, lti.RoleGuest},
	}
	for _, tc := range cases {
		if got := lti.MapRoles(tc.roles); got != tc.want {
			t.Errorf("%s: %v → %s, want %s", tc.name, tc.roles, got, tc.want)
		}
	}
}

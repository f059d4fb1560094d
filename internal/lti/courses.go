package lti

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// A course (LTI context) maps to one folder (seed 002). Its members group
// has viewer and its instructors group creator rights on the folder; the
// folder is owned by Lectern's system account, so that nobody keeps owner
// rights that their LMS role no longer gives them.

// Course returns a course, or ENotFound.
func (s *Service) Course(ctx context.Context, id string) (lectern.LTIContext, error) {
	return s.db.LTIContextByID(ctx, id)
}

// Courses lists a platform's courses (all when platformID is empty).
func (s *Service) Courses(ctx context.Context, platformID string) ([]lectern.LTIContext, error) {
	return s.db.ListLTIContexts(ctx, platformID)
}

// ensureCourse records what the launch says about its course and, when
// the launching user is an instructor and the course has no live folder,
// makes one with its groups.
func (s *Service) ensureCourse(ctx context.Context, l *Launch) (lectern.LTIContext, error) {
	p := l.Platform
	c, err := s.db.LTIContextByKey(ctx, p.ID, l.ContextID)
	switch {
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
		c, err = s.db.InsertLTIContext(ctx, lectern.LTIContext{PlatformID: p.ID, ContextID: l.ContextID, Title: l.ContextTitle,
			Label: l.ContextLabel, Public: l.Public, NRPSURL: l.NRPSURL}, s.clock())
		if lectern.ErrorCodeOf(err) == lectern.EConflict {
			c, err = s.db.LTIContextByKey(ctx, p.ID, l.ContextID)
		}
		if err != nil {
			return lectern.LTIContext{}, err
		}
	case err != nil:
		return lectern.LTIContext{}, err
	case c.Title != l.ContextTitle || c.Label != l.ContextLabel || c.Public != l.Public || (l.NRPSURL != "" && c.NRPSURL != l.NRPSURL):
		nrps := c.NRPSURL
		if l.NRPSURL != "" {
			nrps = l.NRPSURL
		}
		if err := s.db.UpdateLTIContextInfo(ctx, c.ID, l.ContextTitle, l.ContextLabel, l.Public, nrps, s.clock()); err != nil {
			return lectern.LTIContext{}, err
		}
		c.Title, c.Label, c.Public, c.NRPSURL = l.ContextTitle, l.ContextLabel, l.Public, nrps
	}
	live, err := s.folderLive(ctx, c.FolderID)
	if err != nil {
		return lectern.LTIContext{}, err
	}
	if !live && l.Role == RoleInstructor {
		if c, err = s.createCourseFolder(ctx, p, c); err != nil {
			return lectern.LTIContext{}, err
		}
	}
	return c, nil
}

func (s *Service) folderLive(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	f, err := s.db.FolderByID(ctx, id)
	switch {
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return f.RecycledAt.IsZero(), nil
}

// CourseReady reports whether a course has a live folder.
func (s *Service) CourseReady(ctx context.Context, c lectern.LTIContext) (bool, error) {
	return s.folderLive(ctx, c.FolderID)
}

func courseName(c lectern.LTIContext) string {
	name := c.Title
	switch {
	case name == "" && c.Label != "":
		name = c.Label
	case name == "":
		name = "Course " + c.ContextID
	case c.Label != "" && c.Label != c.Title:
		name = c.Label + ": " + c.Title
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// createCourseFolder makes the course's folder (replacing one gone to the
// recycle bin) under the platform's course parent, and gives the course's
// groups their rights on it.
func (s *Service) createCourseFolder(ctx context.Context, p lectern.LTIPlatform, c lectern.LTIContext) (lectern.LTIContext, error) {
	owner, err := s.systemUser(ctx)
	if err != nil {
		return c, err
	}
	parent, err := s.courseParent(ctx, p, owner)
	if err != nil {
		return c, err
	}
	f, err := s.catalog.CreateFolder(ctx, catalog.NewFolder{Name: courseName(c), ParentID: parent, OwnerID: owner})
	if err != nil {
		return c, fmt.Errorf("lti: create folder for course %s: %w", c.ContextID, err)
	}
	set, err := s.db.SetLTIContextFolder(ctx, c.ID, c.FolderID, f.ID, s.clock())
	if err != nil {
		return c, err
	}
	if !set {
		// Another instructor's first launch made the folder at the same
		// moment; theirs is the course folder (ours stays, empty).
		return s.db.LTIContextByID(ctx, c.ID)
	}
	c.FolderID = f.ID
	if err := s.audit(ctx, "", "lti.course.folder", lectern.ResourceFolder, f.ID, "course "+c.ContextID+" of "+p.Name); err != nil {
		return c, err
	}
	return s.grantCourseGroups(ctx, c)
}

// courseParent returns the folder course folders go under: the platform's
// configured one, or a top-level folder made for the platform.
func (s *Service) courseParent(ctx context.Context, p lectern.LTIPlatform, owner string) (string, error) {
	if live, err := s.folderLive(ctx, p.CourseParentID); err != nil || live {
		return p.CourseParentID, err
	}
	f, err := s.catalog.CreateFolder(ctx, catalog.NewFolder{Name: truncate("Courses from "+p.Name, 200), OwnerID: owner})
	if err != nil {
		return "", err
	}
	if p.CourseParentID != "" {
		// The configured parent is gone: replace it.
		p.CourseParentID = f.ID
		return f.ID, s.db.UpdateLTIPlatform(ctx, p, s.clock())
	}
	if set, err := s.db.SetLTICourseParent(ctx, p.ID, f.ID, s.clock()); err != nil || set {
		return f.ID, err
	}
	again, err := s.db.LTIPlatformByID(ctx, p.ID)
	return again.CourseParentID, err
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n])
	}
	return s
}

// grantCourseGroups makes the course's groups (if they do not exist yet)
// and gives them viewer (members) and creator (instructors) on its folder.
func (s *Service) grantCourseGroups(ctx context.Context, c lectern.LTIContext) (lectern.LTIContext, error) {
	key := c.PlatformID + ":" + c.ContextID
	name := truncate(courseName(c), 180)
	members, err := s.ensureGroup(ctx, lectern.GroupLTIContext, key, name+" (members)")
	if err != nil {
		return c, err
	}
	instructors, err := s.ensureGroup(ctx, lectern.GroupLTIContext, key+":instructors", name+" (instructors)")
	if err != nil {
		return c, err
	}
	for _, g := range []struct {
		id   string
		role lectern.Role
	}{{members.ID, lectern.RoleViewer}, {instructors.ID, lectern.RoleCreator}} {
		if _, err := s.access.SystemGrant(ctx, access.NewGrant{PrincipalType: lectern.PrincipalGroup, PrincipalID: g.id,
			Resource: lectern.FolderResource(c.FolderID), Role: g.role, Source: lectern.SourceLTI}, "LMS course folder"); err != nil {
			return c, err
		}
	}
	if err := s.db.SetLTIContextGroups(ctx, c.ID, members.ID, instructors.ID, s.clock()); err != nil {
		return c, err
	}
	c.MembersGroupID, c.InstructorsGroupID = members.ID, instructors.ID
	return c, nil
}

// ensureGroup is access.EnsureGroup, retried once when a concurrent
// launch created the same group first.
func (s *Service) ensureGroup(ctx context.Context, kind lectern.GroupKind, key, name string) (lectern.Group, error) {
	g, err := s.access.EnsureGroup(ctx, kind, key, name)
	if lectern.ErrorCodeOf(err) == lectern.EConflict || sqlstore.IsUniqueViolation(err) {
		g, err = s.access.EnsureGroup(ctx, kind, key, name)
	}
	return g, err
}

// addMember is access.SystemAddMember, retried once when a concurrent
// first launch inserted the same membership first.
func (s *Service) addMember(ctx context.Context, groupID, userID string, expires time.Time, reason string) error {
	err := s.access.SystemAddMember(ctx, groupID, userID, expires, reason)
	if sqlstore.IsUniqueViolation(err) {
		err = s.access.SystemAddMember(ctx, groupID, userID, expires, reason)
	}
	return err
}

// membership reports whether userID is in groupID and until when (zero:
// for good).
func (s *Service) membership(ctx context.Context, groupID, userID string) (bool, time.Time, error) {
	m, err := s.db.Membership(ctx, groupID, userID)
	switch {
	case lectern.ErrorCodeOf(err) == lectern.ENotFound:
		return false, time.Time{}, nil
	case err != nil:
		return false, time.Time{}, err
	}
	return true, m.ExpiresAt, nil
}

// syncCourseRole applies the launching user's role to the course's
// groups (role changes in the LMS take effect here, at the next launch):
// instructors are in the instructors group; learners in the members
// group; a guest of a public course is a member until the grant window
// passes; anyone else is in neither.
func (s *Service) syncCourseRole(ctx context.Context, c lectern.LTIContext, userID string, role CourseRole, window time.Duration) error {
	if c.MembersGroupID == "" || c.InstructorsGroupID == "" {
		return nil
	}
	inInstructors, _, err := s.membership(ctx, c.InstructorsGroupID, userID)
	if err != nil {
		return err
	}
	inMembers, until, err := s.membership(ctx, c.MembersGroupID, userID)
	if err != nil {
		return err
	}
	switch role {
	case RoleInstructor:
		if !inInstructors {
			return s.addMember(ctx, c.InstructorsGroupID, userID, time.Time{}, "LMS launch as instructor")
		}
		return nil
	case RoleLearner:
		if inInstructors {
			if err := s.access.SystemRemoveMember(ctx, c.InstructorsGroupID, userID, "LMS launch as learner"); err != nil {
				return err
			}
		}
		if !inMembers || !until.IsZero() {
			return s.addMember(ctx, c.MembersGroupID, userID, time.Time{}, "LMS launch as learner")
		}
		return nil
	}
	if inInstructors {
		if err := s.access.SystemRemoveMember(ctx, c.InstructorsGroupID, userID, "LMS launch without a course role"); err != nil {
			return err
		}
	}
	if c.Public {
		return s.addMember(ctx, c.MembersGroupID, userID, s.clock().Add(window), "LMS launch as guest of a public course")
	}
	if inMembers {
		return s.access.SystemRemoveMember(ctx, c.MembersGroupID, userID, "LMS launch without a course role")
	}
	return nil
}

package lti

import (
	"context"
	"net/url"
	"time"

	"github.com/lectern-edu/lectern"
)

// Outcome is where a checked launch leads: a page to redirect to, or a
// notice to show (a course without a folder yet, a video not available).
type Outcome struct {
	User     lectern.User
	Location string  // redirect here, when Notice is nil
	Notice   *Notice // or show this
}

// Notice kinds.
const (
	NoticeCourseNotReady = "course-not-ready"
	NoticeNotMember      = "not-member"
	NoticeNoVideo        = "no-video"
	NoticeUnavailable    = "video-unavailable"
	NoticeTeachersOnly   = "teachers-only"
)

// Notice is a plain page a launch may end on instead of an error.
type Notice struct {
	Kind    string
	Heading string
	Message string
}

// Paths of the pages a launch leads to.
func sessionPath(id string) string { return "/sessions/" + url.PathEscape(id) }
func folderPath(id string) string  { return "/folders/" + url.PathEscape(id) }

// CoursePath is the course page instructors land on.
func CoursePath(id string) string { return "/lti/courses/" + url.PathEscape(id) }

// PickPath is the picker page of a picker token.
func PickPath(token string) string { return "/lti/pick/" + url.PathEscape(token) }

// Provision acts on a checked launch (either LTI version): it creates or
// updates the user, the course (folder on an instructor's first launch)
// and the user's standing in it, then either grants the resource link's
// video until the grant window passes (seed 000), or sends the user to
// the course folder (seed 002), or to the video picker (deep linking).
func (s *Service) Provision(ctx context.Context, l *Launch) (Outcome, error) {
	u, err := s.ensureUser(ctx, l.UserIssuer, l.Subject, l.Name, l.Email)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{User: u}
	window, err := s.GrantWindow(ctx)
	if err != nil {
		return Outcome{}, err
	}
	var course lectern.LTIContext
	if l.ContextID != "" {
		if course, err = s.ensureCourse(ctx, l); err != nil {
			return Outcome{}, err
		}
		if err := s.syncCourseRole(ctx, course, u.ID, l.Role, window); err != nil {
			return Outcome{}, err
		}
	}

	if l.MessageType == MessageDeepLinking {
		if l.Role != RoleInstructor {
			out.Notice = &Notice{Kind: NoticeTeachersOnly, Heading: "Only teachers can add videos",
				Message: "Adding Lectern videos to a course is for the course's teachers. Your LMS says you are not one of them in this course."}
			return out, nil
		}
		token, err := s.newPick(ctx, l, u.ID, pickDeepLink, course.ID)
		if err != nil {
			return Outcome{}, err
		}
		out.Location = PickPath(token)
		return out, nil
	}

	link, bound, err := s.linkForLaunch(ctx, l, course.ID, u.ID)
	if err != nil {
		return Outcome{}, err
	}
	if bound {
		return s.launchLink(ctx, out, link, window)
	}
	if l.ContextID == "" {
		out.Notice = &Notice{Kind: NoticeNoVideo, Heading: "This link has no video",
			Message: "This LMS link is not connected to a Lectern video or course. Ask your teacher to choose a video for it."}
		return out, nil
	}
	ready, err := s.CourseReady(ctx, course)
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case l.Role == RoleInstructor:
		target := CoursePath(course.ID)
		if l.ResourceLinkID != "" {
			token, err := s.newPick(ctx, l, u.ID, pickBind, course.ID)
			if err != nil {
				return Outcome{}, err
			}
			target += "?pick=" + url.QueryEscape(token)
		}
		out.Location = target
	case !ready:
		out.Notice = &Notice{Kind: NoticeCourseNotReady, Heading: "This course has no Lectern folder yet",
			Message: "This course has no Lectern folder yet; it appears once a teacher opens it. Please try again later."}
	case l.Role == RoleLearner || course.Public:
		out.Location = folderPath(course.FolderID)
	default:
		out.Notice = &Notice{Kind: NoticeNotMember, Heading: "You are not a member of this course",
			Message: "Your LMS did not say you are a member of this course, and the course is not public, so its Lectern folder is not open to you."}
	}
	return out, nil
}

// launchLink gives the user the link's video until the grant window
// passes (refreshing an earlier launch's membership) and sends them to it.
// The membership's expiry is evaluated at every access decision, so the
// access ends on time whether or not the sweeper has run.
func (s *Service) launchLink(ctx context.Context, out Outcome, link lectern.LTILink, window time.Duration) (Outcome, error) {
	if err := s.addMember(ctx, link.GroupID, out.User.ID, s.clock().Add(window), "LMS link launch"); err != nil {
		return Outcome{}, err
	}
	d, err := s.access.Decide(ctx, lectern.PrincipalOf(out.User), lectern.ActionView, lectern.SessionResource(link.SessionID))
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		d, err = lectern.Decision{Reason: lectern.DenyPurged}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if !d.Allowed {
		msg := "This video is not available to viewers at the moment."
		switch d.Reason {
		case lectern.DenyNotPublished:
			msg = "This video is not published yet. It appears here once its owner publishes it."
		case lectern.DenyArchived:
			msg = "This video has been archived. Ask your teacher if you need it restored."
		case lectern.DenyRecycled, lectern.DenyPurged:
			msg = "This video has been deleted from Lectern. Ask your teacher to choose another one for this link."
		}
		out.Notice = &Notice{Kind: NoticeUnavailable, Heading: "This video is not available", Message: msg}
		return out, nil
	}
	out.Location = sessionPath(link.SessionID)
	return out, nil
}

package ltiweb

import (
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/lti"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// CourseView is the course page an instructor lands on from the LMS: the
// course folder, roster sync, and the links that show videos.
type CourseView struct {
	Layout
	Course     lectern.LTIContext
	Ready      bool
	FolderURL  string
	CanSync    bool
	SyncAsked  bool
	Bound      bool
	PickURL    string // choose a video for the link just launched
	Links      []LinkRow
	BackToHere string
}

// LinkRow is one resource link on the course page.
type LinkRow struct {
	Link         lectern.LTILink
	SessionTitle string
	SessionURL   string
}

// Course serves GET /lti/courses/{id} (signed in: the course's
// instructors and admins).
func (h *Handlers) Course(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	c, err := h.lti.CourseFor(r.Context(), lectern.PrincipalOf(u), r.PathValue("id"), request.ClientAddr(r))
	if err != nil {
		return err
	}
	ready, err := h.lti.CourseReady(r.Context(), c)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := &CourseView{Layout: Layout{Title: "Course: " + courseTitle(c)}, Course: c, Ready: ready, CanSync: c.NRPSURL != "" && ready,
		SyncAsked: q.Has("sync"), Bound: q.Has("bound"), BackToHere: lti.CoursePath(c.ID)}
	if ready {
		v.FolderURL = "/folders/" + c.FolderID
	}
	if tok := q.Get("pick"); tok != "" {
		if _, err := h.lti.OpenPick(r.Context(), tok); err == nil {
			v.PickURL = lti.PickPath(tok)
		}
	}
	links, err := h.lti.Links(r.Context(), sqlstore.LTILinkFilter{ContextRowID: c.ID, BoundOnly: true, Limit: 200})
	if err != nil {
		return err
	}
	for _, l := range links {
		row := LinkRow{Link: l, SessionURL: "/sessions/" + l.SessionID}
		if s, err := h.lti.Catalog().SessionByID(r.Context(), l.SessionID); err == nil {
			row.SessionTitle = s.Title
		}
		v.Links = append(v.Links, row)
	}
	return h.render(w, r, http.StatusOK, "course", v)
}

func courseTitle(c lectern.LTIContext) string {
	switch {
	case c.Title != "":
		return c.Title
	case c.Label != "":
		return c.Label
	}
	return c.ContextID
}

// SyncRoster serves POST /lti/courses/{id}/sync.
func (h *Handlers) SyncRoster(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.lti.RequestRosterSync(r.Context(), lectern.PrincipalOf(u), id, request.ClientAddr(r)); err != nil {
		return err
	}
	return seeOther(w, r, lti.CoursePath(id)+"?sync=1")
}

// Unbind serves POST /lti/links/{id}/unbind: the video leaves the LMS
// link, and the link's group (and so everyone's access through it) goes.
func (h *Handlers) Unbind(w http.ResponseWriter, r *http.Request) error {
	u, err := currentUser(r)
	if err != nil {
		return err
	}
	if err := h.lti.UnbindLink(r.Context(), lectern.PrincipalOf(u), r.PathValue("id"), request.ClientAddr(r)); err != nil {
		return err
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/lti/courses/") && !strings.HasPrefix(back, "/admin/lti") || strings.ContainsAny(back, "\\\r\n\t") || strings.HasPrefix(back, "//") {
		back = "/"
	}
	return seeOther(w, r, back)
}

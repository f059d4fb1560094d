package lti

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/lectern-edu/lectern"
)

// Names and Role Provisioning Services (NRPS 2.0): an instructor syncs
// the course roster into the course's groups, so that students see the
// course folder outside the LMS too. The roster is the LMS's word: those
// no longer in it lose the membership a roster or launch gave them for
// good (memberships with an expiry, from guest launches, decay on their
// own).

type tokenCache struct {
	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	token   string
	expires time.Time
}

// accessToken gets an OAuth 2 token for NRPS from the platform's token
// endpoint (client credentials, authenticated by a JWT assertion signed
// with Lectern's key), reusing one until shortly before it expires.
func (s *Service) accessToken(ctx context.Context, p lectern.LTIPlatform) (string, error) {
	s.tokens.mu.Lock()
	t, ok := s.tokens.tokens[p.ID]
	s.tokens.mu.Unlock()
	now := s.clock()
	if ok && now.Before(t.expires) {
		return t.token, nil
	}
	assertion, err := s.sign(ctx, map[string]any{
		"iss": p.ClientID, "sub": p.ClientID, "aud": p.TokenURL,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": randomToken(18),
	})
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {ScopeNRPS},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := s.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request to %s: %w", p.TokenURL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token request to %s: status %d: %s", p.TokenURL, res.StatusCode, firstLine(string(body)))
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token request to %s: no access_token in the answer", p.TokenURL)
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	s.tokens.mu.Lock()
	s.tokens.tokens[p.ID] = cachedToken{token: tr.AccessToken, expires: now.Add(life - min(life/10, time.Minute))}
	s.tokens.mu.Unlock()
	return tr.AccessToken, nil
}

// rosterMember is one member of an NRPS membership container.
type rosterMember struct {
	Status     string   `json:"status"`
	Name       string   `json:"name"`
	GivenName  string   `json:"given_name"`
	FamilyName string   `json:"family_name"`
	Email      string   `json:"email"`
	UserID     string   `json:"user_id"`
	Roles      []string `json:"roles"`
}

// maxRosterPages bounds how many pages a sync follows.
const maxRosterPages = 1000

var linkNext = regexp.MustCompile(`<([^>]*)>\s*;[^,]*rel="?next"?`)

// fetchRoster reads every page of a course's membership, following
// Link: <…>; rel="next".
func (s *Service) fetchRoster(ctx context.Context, p lectern.LTIPlatform, membershipsURL string) ([]rosterMember, error) {
	token, err := s.accessToken(ctx, p)
	if err != nil {
		return nil, err
	}
	var all []rosterMember
	next := membershipsURL
	for page := 0; next != ""; page++ {
		if page == maxRosterPages {
			return nil, fmt.Errorf("roster of more than %d pages", maxRosterPages)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", NRPSMediaType)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := s.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("roster page %d: %w", page+1, err)
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
		res.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("roster page %d: %w", page+1, err)
		}
		if res.StatusCode != http.StatusOK {
			if res.StatusCode == http.StatusUnauthorized {
				s.tokens.mu.Lock()
				delete(s.tokens.tokens, p.ID)
				s.tokens.mu.Unlock()
			}
			return nil, fmt.Errorf("roster page %d: status %d: %s", page+1, res.StatusCode, firstLine(string(body)))
		}
		var container struct {
			Members []rosterMember `json:"members"`
		}
		if err := json.Unmarshal(body, &container); err != nil {
			return nil, fmt.Errorf("roster page %d: %w", page+1, err)
		}
		all = append(all, container.Members...)
		next = ""
		for _, h := range res.Header.Values("Link") {
			if m := linkNext.FindStringSubmatch(h); m != nil {
				u, err := url.Parse(m[1])
				if err != nil {
					return nil, fmt.Errorf("roster page %d: bad next link: %w", page+1, err)
				}
				next = res.Request.URL.ResolveReference(u).String()
			}
		}
	}
	return all, nil
}

// SyncReport says what a roster sync did.
type SyncReport struct {
	Instructors, Learners int // active members by role
	Added, Removed        int
}

func (r SyncReport) String() string {
	return fmt.Sprintf("%d instructors and %d learners in the roster; %d memberships added, %d removed",
		r.Instructors, r.Learners, r.Added, r.Removed)
}

// SyncRoster brings a course's groups in line with the LMS roster: active
// instructors in the instructors group and active learners in the members
// group, for good; lasting memberships of people no longer there (or no
// longer in that role) end. Running it again changes nothing unless the
// roster changed. The outcome is recorded on the course.
func (s *Service) SyncRoster(ctx context.Context, courseID string) (SyncReport, error) {
	c, err := s.db.LTIContextByID(ctx, courseID)
	if err != nil {
		return SyncReport{}, err
	}
	rep, err := s.syncRoster(ctx, c)
	note := "Synced: " + rep.String()
	if err != nil {
		note = "Sync failed: " + lectern.ErrorMessage(err)
		if lectern.ErrorCodeOf(err) == lectern.EInternal {
			note = "Sync failed: " + firstLine(err.Error())
		}
	}
	if rerr := s.db.RecordLTISync(ctx, c.ID, s.clock(), truncate(note, 500)); rerr != nil && err == nil {
		err = rerr
	}
	if err == nil {
		err = s.audit(ctx, "", "lti.roster.sync", lectern.ResourceFolder, c.FolderID, rep.String())
	}
	return rep, err
}

func (s *Service) syncRoster(ctx context.Context, c lectern.LTIContext) (SyncReport, error) {
	var rep SyncReport
	if c.NRPSURL == "" {
		return rep, lectern.Errorf(lectern.EConflict, "The LMS does not offer this course's roster to Lectern (no names and roles service).")
	}
	if c.MembersGroupID == "" || c.InstructorsGroupID == "" {
		return rep, lectern.Errorf(lectern.EConflict, "This course has no Lectern folder yet.")
	}
	p, err := s.db.LTIPlatformByID(ctx, c.PlatformID)
	if err != nil {
		return rep, err
	}
	if p.Version != lectern.LTI13 {
		return rep, lectern.Errorf(lectern.EConflict, "Roster sync needs LTI 1.3.")
	}
	members, err := s.fetchRoster(ctx, p, c.NRPSURL)
	if err != nil {
		return rep, fmt.Errorf("lti: roster of course %s: %w", c.ContextID, err)
	}
	keep := map[string]map[string]bool{c.InstructorsGroupID: {}, c.MembersGroupID: {}}
	for _, m := range members {
		if m.UserID == "" || (m.Status != "" && !strings.EqualFold(m.Status, "Active")) {
			continue
		}
		role := MapRoles(m.Roles)
		group := c.MembersGroupID
		switch role {
		case RoleInstructor:
			group = c.InstructorsGroupID
			rep.Instructors++
		case RoleLearner:
			rep.Learners++
		default:
			continue
		}
		name := m.Name
		if name == "" {
			name = strings.TrimSpace(m.GivenName + " " + m.FamilyName)
		}
		u, err := s.ensureUser(ctx, p.Issuer, m.UserID, name, m.Email)
		if err != nil {
			return rep, err
		}
		keep[group][u.ID] = true
		in, until, err := s.membership(ctx, group, u.ID)
		if err != nil {
			return rep, err
		}
		if !in || !until.IsZero() {
			if err := s.addMember(ctx, group, u.ID, time.Time{}, "LMS roster sync"); err != nil {
				return rep, err
			}
			rep.Added++
		}
	}
	for group, kept := range keep {
		current, err := s.db.GroupMembers(ctx, group)
		if err != nil {
			return rep, err
		}
		for _, m := range current {
			if m.ExpiresAt.IsZero() && !kept[m.UserID] {
				if err := s.access.SystemRemoveMember(ctx, group, m.UserID, "not in the LMS roster"); err != nil && lectern.ErrorCodeOf(err) != lectern.ENotFound {
					return rep, err
				}
				rep.Removed++
			}
		}
	}
	return rep, nil
}

// RequestRosterSync queues a roster sync of a course for actor, who must
// be an instructor (creator) of the course folder or an admin. Without a
// job queue the sync runs at once.
func (s *Service) RequestRosterSync(ctx context.Context, actor lectern.Principal, courseID, clientAddr string) error {
	c, err := s.db.LTIContextByID(ctx, courseID)
	if err != nil {
		return err
	}
	if err := s.mayManageCourse(ctx, actor, c, clientAddr); err != nil {
		return err
	}
	if c.NRPSURL == "" {
		return lectern.Errorf(lectern.EConflict, "The LMS does not offer this course's roster to Lectern (no names and roles service).")
	}
	if s.jobs == nil {
		_, err := s.SyncRoster(ctx, c.ID)
		return err
	}
	return s.jobs.Enqueue(ctx, SyncArgs{CourseID: c.ID}, nil)
}

// mayManageCourse allows admins and creators of the course folder.
func (s *Service) mayManageCourse(ctx context.Context, actor lectern.Principal, c lectern.LTIContext, clientAddr string) error {
	if actor.IsAdmin {
		return nil
	}
	if c.FolderID == "" {
		return lectern.Errorf(lectern.ENotFound, "course not found")
	}
	_, err := s.access.Authorize(ctx, actor, lectern.ActionEdit, lectern.FolderResource(c.FolderID), clientAddr)
	if lectern.ErrorCodeOf(err) == lectern.ENotFound {
		return lectern.Errorf(lectern.ENotFound, "course not found")
	}
	return err
}

// CourseFor returns a course that actor may manage (its instructors and
// admins), for the course page.
func (s *Service) CourseFor(ctx context.Context, actor lectern.Principal, id, clientAddr string) (lectern.LTIContext, error) {
	c, err := s.db.LTIContextByID(ctx, id)
	if err != nil {
		return lectern.LTIContext{}, err
	}
	return c, s.mayManageCourse(ctx, actor, c, clientAddr)
}

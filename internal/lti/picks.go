package lti

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// A teacher picks videos in Lectern's picker, reached by a token that is
// the picker's only credential (the LMS frame may not carry Lectern's
// cookies): to answer a deep-linking request with content items, or to
// bind the resource link they launched from.

const (
	pickDeepLink = "deep-link"
	pickBind     = "bind"
)

func (s *Service) newPick(ctx context.Context, l *Launch, userID, mode, courseRowID string) (string, error) {
	token := randomToken(32)
	now := s.clock()
	p := sqlstore.LTIPick{ID: stateID(token), PlatformID: l.Platform.ID, UserID: userID, Mode: mode, DeploymentID: l.DeploymentID,
		ContextRowID: courseRowID, ResourceLinkID: l.ResourceLinkID, Title: l.ResourceLinkTitle, CreatedAt: now, ExpiresAt: now.Add(PickTTL)}
	if mode == pickDeepLink && l.DeepLink != nil {
		p.ReturnURL, p.Data = l.DeepLink.ReturnURL, l.DeepLink.Data
		p.AcceptMultiple = l.DeepLink.AcceptMultiple == nil || *l.DeepLink.AcceptMultiple
		if len(l.DeepLink.AcceptTypes) > 0 && !slices.Contains(l.DeepLink.AcceptTypes, "ltiResourceLink") {
			return "", lectern.Errorf(lectern.EInvalid, "The LMS asked for content Lectern cannot give (it accepts %s; Lectern offers ltiResourceLink).",
				strings.Join(l.DeepLink.AcceptTypes, ", "))
		}
	}
	if err := s.db.InsertLTIPick(ctx, p); err != nil {
		return "", err
	}
	return token, nil
}

// Pick is an open picker session.
type Pick struct {
	Token          string
	Mode           string // "deep-link" or "bind"
	User           lectern.User
	Platform       lectern.LTIPlatform
	AcceptMultiple bool
	CourseID       string
	LinkTitle      string
	row            sqlstore.LTIPick
}

// DeepLinking reports whether the pick answers a deep-linking request.
func (p Pick) DeepLinking() bool { return p.Mode == pickDeepLink }

// OpenPick returns the picker session of a token: ENotFound when unknown,
// EConflict when already used or expired.
func (s *Service) OpenPick(ctx context.Context, token string) (Pick, error) {
	row, err := s.db.LTIPickByID(ctx, stateID(token))
	if err != nil {
		return Pick{}, lectern.Errorf(lectern.ENotFound, "This video picker link is not valid. Start again from the LMS.")
	}
	if !row.UsedAt.IsZero() || !s.clock().Before(row.ExpiresAt) {
		return Pick{}, lectern.Errorf(lectern.EConflict, "This video picker has been used or has expired. Start again from the LMS.")
	}
	u, err := s.identity.UserByID(ctx, row.UserID)
	if err != nil {
		return Pick{}, err
	}
	if u.Disabled {
		return Pick{}, lectern.Errorf(lectern.EForbidden, "This account has been disabled.")
	}
	p, err := s.db.LTIPlatformByID(ctx, row.PlatformID)
	if err != nil {
		return Pick{}, err
	}
	return Pick{Token: token, Mode: row.Mode, User: u, Platform: p, AcceptMultiple: row.Mode == pickDeepLink && row.AcceptMultiple,
		CourseID: row.ContextRowID, LinkTitle: row.Title, row: row}, nil
}

// Browse is what the picker shows: a folder's subfolders and shareable
// sessions, or search results, or the top folders and recent videos.
type Browse struct {
	Query    string
	Folder   *lectern.Folder
	Path     []lectern.Folder
	Folders  []lectern.Folder
	Sessions []lectern.Session
	// Truncated is set when a search stopped before looking at everything.
	Truncated bool
}

// Limits of the picker's lists.
const (
	browseScan   = 2000 // sessions looked at for a search
	browseResult = 100  // sessions shown
)

// Browse lists what the picking teacher may share: the sessions they may
// share (their own, and those in folders where they are creators), found
// by words in the title or description, or by folder.
func (s *Service) Browse(ctx context.Context, p Pick, folderID, query string) (Browse, error) {
	actor := lectern.PrincipalOf(p.User)
	b := Browse{Query: strings.TrimSpace(query)}
	if folderID != "" {
		f, err := s.catalog.Folder(ctx, actor, folderID, "")
		if err != nil {
			return Browse{}, err
		}
		b.Folder = &f
		if b.Path, err = s.catalog.FolderPath(ctx, actor, folderID); err != nil {
			return Browse{}, err
		}
	}
	if b.Query == "" {
		var err error
		if b.Folders, err = s.catalog.ListFolders(ctx, actor, folderID); err != nil {
			return Browse{}, err
		}
	}
	words := strings.Fields(strings.ToLower(b.Query))
	cursor, scanned := "", 0
	for len(b.Sessions) < browseResult {
		var page []lectern.Session
		var next string
		if folderID != "" {
			pg, err := s.catalog.ListSessions(ctx, actor, folderID, 200, cursor)
			if err != nil {
				return Browse{}, err
			}
			page, next = pg.Items, pg.Next
		} else {
			pg, err := s.catalog.ListVisibleSessions(ctx, actor, 200, cursor)
			if err != nil {
				return Browse{}, err
			}
			page, next = pg.Items, pg.Next
		}
		for _, sess := range page {
			scanned++
			if !matches(sess, words) {
				continue
			}
			ok, err := s.mayShare(ctx, actor, sess.ID)
			if err != nil {
				return Browse{}, err
			}
			if ok {
				b.Sessions = append(b.Sessions, sess)
				if len(b.Sessions) == browseResult {
					break
				}
			}
		}
		if next == "" {
			break
		}
		if scanned >= browseScan || (folderID == "" && b.Query == "" && scanned >= 200) {
			b.Truncated = true
			break
		}
		cursor = next
	}
	return b, nil
}

func matches(sess lectern.Session, words []string) bool {
	text := strings.ToLower(sess.Title + " " + sess.Description)
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// mayShare reports whether actor may put the session in a course by their
// own rights (an admin's override does not count here).
func (s *Service) mayShare(ctx context.Context, actor lectern.Principal, sessionID string) (bool, error) {
	d, err := s.access.Decide(ctx, actor, lectern.ActionShare, lectern.SessionResource(sessionID))
	if err != nil {
		return false, err
	}
	return d.Allowed && !d.AdminOverride, nil
}

// PickResult is what completing a pick leads to: a signed deep-linking
// response to post to the LMS, or a page to go to.
type PickResult struct {
	ReturnURL string // post JWT here (deep linking)
	JWT       string
	Location  string // or redirect here (binding)
	Count     int
}

// CompletePick uses a picker session once: for deep linking it makes one
// content item per chosen session and signs the response; for binding it
// binds the launched resource link to the one chosen session. Each chosen
// session must be one the teacher may share. No sessions means cancel.
func (s *Service) CompletePick(ctx context.Context, token string, sessionIDs []string) (PickResult, error) {
	p, err := s.OpenPick(ctx, token)
	if err != nil {
		return PickResult{}, err
	}
	actor := lectern.PrincipalOf(p.User)
	var chosen []lectern.Session
	for _, id := range sessionIDs {
		if id == "" || slices.ContainsFunc(chosen, func(x lectern.Session) bool { return x.ID == id }) {
			continue
		}
		ok, err := s.mayShare(ctx, actor, id)
		if lectern.ErrorCodeOf(err) == lectern.ENotFound || (err == nil && !ok) {
			return PickResult{}, lectern.Errorf(lectern.EForbidden, "You can only add videos that you may share.")
		}
		if err != nil {
			return PickResult{}, err
		}
		sess, err := s.catalog.SessionByID(ctx, id)
		if err != nil {
			return PickResult{}, err
		}
		chosen = append(chosen, sess)
	}
	if len(chosen) > 1 && !p.AcceptMultiple {
		return PickResult{}, lectern.Errorf(lectern.EInvalid, "session: choose one video")
	}
	used, err := s.db.UseLTIPick(ctx, p.row.ID, s.clock())
	if err != nil {
		return PickResult{}, err
	}
	if !used {
		return PickResult{}, lectern.Errorf(lectern.EConflict, "This video picker has been used already. Start again from the LMS.")
	}
	if p.Mode == pickBind {
		return s.completeBind(ctx, p, chosen)
	}
	return s.deepLinkResponse(ctx, p, chosen)
}

func (s *Service) completeBind(ctx context.Context, p Pick, chosen []lectern.Session) (PickResult, error) {
	back := PickResult{Location: CoursePath(p.CourseID)}
	if len(chosen) == 0 {
		return back, nil
	}
	var prev *lectern.LTILink
	cur, err := s.db.LTILinkByResource(ctx, p.Platform.ID, p.row.ResourceLinkID)
	switch {
	case err == nil:
		prev = &cur
	case lectern.ErrorCodeOf(err) != lectern.ENotFound:
		return PickResult{}, err
	}
	itemID := ""
	if prev != nil {
		itemID = prev.ItemID // keep it, so that the LMS's custom parameter does not bind it back
	}
	if _, err := s.bindLink(ctx, prev, lectern.LTILink{PlatformID: p.Platform.ID, ResourceLinkID: p.row.ResourceLinkID,
		ContextRowID: p.CourseID, ItemID: itemID, SessionID: chosen[0].ID, Title: p.row.Title}, p.User.ID); err != nil {
		return PickResult{}, err
	}
	back.Location += "?bound=1"
	back.Count = 1
	return back, nil
}

// deepLinkResponse signs the LtiDeepLinkingResponse for the chosen
// sessions: one ltiResourceLink per session, each carrying a fresh item id
// in its custom parameters, which binds the link when it is first launched.
func (s *Service) deepLinkResponse(ctx context.Context, p Pick, chosen []lectern.Session) (PickResult, error) {
	now := s.clock()
	items := []map[string]any{}
	for _, sess := range chosen {
		id := randomToken(18)
		if err := s.db.InsertLTIItem(ctx, sqlstore.LTIItem{ID: id, PlatformID: p.Platform.ID, SessionID: sess.ID, CreatedBy: p.User.ID, CreatedAt: now}); err != nil {
			return PickResult{}, err
		}
		item := map[string]any{
			"type":   "ltiResourceLink",
			"title":  sess.Title,
			"url":    s.base + PathLaunch,
			"custom": map[string]string{CustomItem: id},
		}
		if d := strings.TrimSpace(sess.Description); d != "" {
			if utf8.RuneCountInString(d) > 500 {
				d = string([]rune(d)[:500]) + "…"
			}
			item["text"] = d
		}
		items = append(items, item)
		if err := s.audit(ctx, p.User.ID, "lti.deeplink.item", lectern.ResourceSession, sess.ID, "item "+id+" for "+p.Platform.Name); err != nil {
			return PickResult{}, err
		}
	}
	claims := map[string]any{
		"iss":             p.Platform.ClientID,
		"aud":             p.Platform.Issuer,
		"iat":             now.Unix(),
		"exp":             now.Add(LoginStateTTL).Unix(),
		"nonce":           randomToken(18),
		ClaimDeploymentID: p.row.DeploymentID,
		ClaimMessageType:  MessageDeepLinkResponse,
		ClaimVersion:      Version13,
		ClaimContentItems: items,
	}
	if p.row.Data != "" {
		claims[ClaimDLData] = p.row.Data
	}
	if len(items) == 0 {
		claims[ClaimDLMessage] = "No video was chosen."
	}
	jwt, err := s.sign(ctx, claims)
	if err != nil {
		return PickResult{}, err
	}
	return PickResult{ReturnURL: p.row.ReturnURL, JWT: jwt, Count: len(items)}, nil
}

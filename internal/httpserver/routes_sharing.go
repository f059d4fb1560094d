package httpserver

import "net/http"

// sharingRoutes are sharing outside the institution (seed 003): the
// public share-link page /s/{token} (anyone: a signed-in visitor is
// recognised, an anonymous one by a viewer cookie), the invitation page
// /invitations/{token} (anyone: the token is the credential), the
// owner's link and invitation pages and API (signed in; the access
// decision, asked by the sharing service, says who may share what), and
// the admins' policy and guest accounts. Nothing is routed when
// Deps.Sharing is nil.
func (s *server) sharingRoutes(mux *http.ServeMux) {
	if s.deps.Sharing == nil {
		return
	}
	p := s.pages.Sharing(s.deps.Sharing)
	mux.Handle("GET /s/{token}", s.page(anyone, p.OpenLink))
	mux.Handle("POST /s/{token}", s.page(anyone, p.WatchLink))
	mux.Handle("GET /invitations/{token}", s.page(anyone, p.InvitationForm))
	mux.Handle("POST /invitations/{token}", s.page(anyone, p.AcceptInvitation))

	mux.Handle("GET /sessions/{id}/links", s.page(signedIn, p.SessionLinks))
	mux.Handle("POST /sessions/{id}/links", s.page(signedIn, p.CreateSessionLink))
	mux.Handle("GET /links/{id}", s.page(signedIn, p.LinkPage))
	mux.Handle("POST /links/{id}/edit", s.page(signedIn, p.EditLink))
	mux.Handle("POST /links/{id}/suspend", s.page(signedIn, p.SuspendLink))
	mux.Handle("POST /links/{id}/resume", s.page(signedIn, p.ResumeLink))
	mux.Handle("POST /links/{id}/revoke", s.page(signedIn, p.RevokeLink))
	mux.Handle("POST /links/{id}/extend", s.page(signedIn, p.ExtendLinkViewer))
	mux.Handle("GET /sessions/{id}/invitations", s.page(signedIn, p.SessionInvitations))
	mux.Handle("POST /sessions/{id}/invitations", s.page(signedIn, p.InviteToSession))
	mux.Handle("GET /folders/{id}/invitations", s.page(signedIn, p.FolderInvitations))
	mux.Handle("POST /folders/{id}/invitations", s.page(signedIn, p.InviteToFolder))
	mux.Handle("GET /admin/sharing", s.page(admin, p.AdminSharing))
	mux.Handle("POST /admin/sharing", s.page(admin, p.SaveSharingPolicy))
	mux.Handle("POST /admin/guests/{id}/revoke", s.page(admin, p.RevokeGuestAccount))

	v1 := s.v1.Sharing(s.deps.Sharing)
	mux.Handle("GET /api/v1/sessions/{id}/links", s.api(signedIn, v1.ListLinks))
	mux.Handle("POST /api/v1/sessions/{id}/links", s.api(signedIn, v1.CreateLink))
	mux.Handle("GET /api/v1/links/{id}", s.api(signedIn, v1.GetLink))
	mux.Handle("PATCH /api/v1/links/{id}", s.api(signedIn, v1.PatchLink))
	mux.Handle("POST /api/v1/links/{id}/suspend", s.api(signedIn, v1.SuspendLink))
	mux.Handle("POST /api/v1/links/{id}/resume", s.api(signedIn, v1.ResumeLink))
	mux.Handle("POST /api/v1/links/{id}/revoke", s.api(signedIn, v1.RevokeLink))
	mux.Handle("GET /api/v1/links/{id}/viewers", s.api(signedIn, v1.ListViewers))
	mux.Handle("POST /api/v1/links/{id}/viewers/{viewer_id}/extend", s.api(signedIn, v1.ExtendViewer))
	mux.Handle("GET /api/v1/sessions/{id}/invitations", s.api(signedIn, v1.ListSessionInvitations))
	mux.Handle("POST /api/v1/sessions/{id}/invitations", s.api(signedIn, v1.InviteToSession))
	mux.Handle("GET /api/v1/folders/{id}/invitations", s.api(signedIn, v1.ListFolderInvitations))
	mux.Handle("POST /api/v1/folders/{id}/invitations", s.api(signedIn, v1.InviteToFolder))
	mux.Handle("POST /api/v1/admin/guests/search", s.api(admin, v1.SearchGuests))
	mux.Handle("POST /api/v1/admin/guests/{id}/revoke", s.api(admin, v1.RevokeGuest))
	mux.Handle("PATCH /api/v1/admin/sharing-policy", s.api(admin, v1.PatchPolicy))
}

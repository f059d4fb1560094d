package httpserver

import "net/http"

// catalogRoutes are the folders, sessions, sharing, approvals and audit
// log: their pages and their JSON API (described in api/openapi.json).
// Every route needs a signed-in caller (or an API token); what they may
// do to each folder or session is the access decision's answer, asked by
// the handler. The audit log for the whole site is for admins.
func (s *server) catalogRoutes(mux *http.ServeMux) {
	p := s.pages
	mux.Handle("GET /folders", s.page(signedIn, p.Folders))
	mux.Handle("POST /folders", s.page(signedIn, p.CreateFolder))
	mux.Handle("GET /folders/{id}", s.page(signedIn, p.Folder))
	mux.Handle("POST /folders/{id}/rename", s.page(signedIn, p.RenameFolder))
	mux.Handle("POST /folders/{id}/approval", s.page(signedIn, p.SetFolderApproval))
	mux.Handle("POST /folders/{id}/delete", s.page(signedIn, p.DeleteFolder))
	mux.Handle("POST /folders/{id}/restore", s.page(signedIn, p.RestoreFolder))
	mux.Handle("GET /folders/{id}/share", s.page(signedIn, p.FolderShare))
	mux.Handle("POST /folders/{id}/share", s.page(signedIn, p.AddFolderGrant))
	mux.Handle("POST /folders/{id}/share/remove", s.page(signedIn, p.RemoveFolderGrant))
	mux.Handle("GET /sessions/{id}", s.page(signedIn, p.Session))
	mux.Handle("POST /sessions/{id}/edit", s.page(signedIn, p.EditSession))
	mux.Handle("POST /sessions/{id}/publish", s.page(signedIn, p.PublishSession))
	mux.Handle("POST /sessions/{id}/unpublish", s.page(signedIn, p.UnpublishSession))
	mux.Handle("POST /sessions/{id}/delete", s.page(signedIn, p.DeleteSession))
	mux.Handle("POST /sessions/{id}/restore", s.page(signedIn, p.RestoreSession))
	mux.Handle("POST /sessions/{id}/approve", s.page(signedIn, p.ApproveSession))
	mux.Handle("POST /sessions/{id}/return", s.page(signedIn, p.ReturnSession))
	mux.Handle("GET /sessions/{id}/share", s.page(signedIn, p.SessionShare))
	mux.Handle("POST /sessions/{id}/share", s.page(signedIn, p.AddSessionGrant))
	mux.Handle("POST /sessions/{id}/share/remove", s.page(signedIn, p.RemoveSessionGrant))
	mux.Handle("GET /approvals", s.page(signedIn, p.Approvals))
	mux.Handle("GET /recycle-bin", s.page(signedIn, p.RecycleBin))
	mux.Handle("GET /audit", s.page(signedIn, p.OwnerAudit))
	mux.Handle("GET /admin/audit", s.page(admin, p.AdminAudit))

	v1 := s.v1
	mux.Handle("GET /api/v1/folders", s.api(signedIn, v1.ListFolders))
	mux.Handle("POST /api/v1/folders", s.api(signedIn, v1.CreateFolder))
	mux.Handle("GET /api/v1/folders/{id}", s.api(signedIn, v1.GetFolder))
	mux.Handle("PATCH /api/v1/folders/{id}", s.api(signedIn, v1.PatchFolder))
	mux.Handle("DELETE /api/v1/folders/{id}", s.api(signedIn, v1.DeleteFolder))
	mux.Handle("POST /api/v1/folders/{id}/move", s.api(signedIn, v1.MoveFolder))
	mux.Handle("POST /api/v1/folders/{id}/restore", s.api(signedIn, v1.RestoreFolder))
	mux.Handle("GET /api/v1/folders/{id}/folders", s.api(signedIn, v1.ListChildFolders))
	mux.Handle("GET /api/v1/folders/{id}/sessions", s.api(signedIn, v1.ListFolderSessions))
	mux.Handle("GET /api/v1/folders/{id}/path", s.api(signedIn, v1.FolderPath))
	mux.Handle("GET /api/v1/folders/{id}/grants", s.api(signedIn, v1.ListFolderGrants))
	mux.Handle("POST /api/v1/folders/{id}/grants", s.api(signedIn, v1.CreateFolderGrant))
	mux.Handle("DELETE /api/v1/folders/{id}/grants/{grant_id}", s.api(signedIn, v1.DeleteFolderGrant))

	mux.Handle("GET /api/v1/sessions", s.api(signedIn, v1.ListSessions))
	mux.Handle("POST /api/v1/sessions", s.api(signedIn, v1.CreateSession))
	mux.Handle("GET /api/v1/sessions/{id}", s.api(signedIn, v1.GetSession))
	mux.Handle("PATCH /api/v1/sessions/{id}", s.api(signedIn, v1.PatchSession))
	mux.Handle("DELETE /api/v1/sessions/{id}", s.api(signedIn, v1.DeleteSession))
	mux.Handle("POST /api/v1/sessions/{id}/move", s.api(signedIn, v1.MoveSession))
	mux.Handle("POST /api/v1/sessions/{id}/restore", s.api(signedIn, v1.RestoreSession))
	mux.Handle("POST /api/v1/sessions/{id}/publish", s.api(signedIn, v1.PublishSession))
	mux.Handle("POST /api/v1/sessions/{id}/unpublish", s.api(signedIn, v1.UnpublishSession))
	mux.Handle("POST /api/v1/sessions/{id}/approve", s.api(signedIn, v1.ApproveSession))
	mux.Handle("POST /api/v1/sessions/{id}/return", s.api(signedIn, v1.ReturnSession))
	mux.Handle("GET /api/v1/sessions/{id}/approvals", s.api(signedIn, v1.SessionApprovals))
	mux.Handle("GET /api/v1/sessions/{id}/grants", s.api(signedIn, v1.ListSessionGrants))
	mux.Handle("POST /api/v1/sessions/{id}/grants", s.api(signedIn, v1.CreateSessionGrant))
	mux.Handle("DELETE /api/v1/sessions/{id}/grants/{grant_id}", s.api(signedIn, v1.DeleteSessionGrant))

	mux.Handle("GET /api/v1/groups", s.api(signedIn, v1.ListGroups))
	mux.Handle("POST /api/v1/groups", s.api(signedIn, v1.CreateGroup))
	mux.Handle("GET /api/v1/groups/{id}", s.api(signedIn, v1.GetGroup))
	mux.Handle("DELETE /api/v1/groups/{id}", s.api(signedIn, v1.DeleteGroup))
	mux.Handle("GET /api/v1/groups/{id}/members", s.api(signedIn, v1.ListMembers))
	mux.Handle("POST /api/v1/groups/{id}/members", s.api(signedIn, v1.AddMember))
	mux.Handle("DELETE /api/v1/groups/{id}/members/{user_id}", s.api(signedIn, v1.RemoveMember))

	mux.Handle("GET /api/v1/approvals", s.api(signedIn, v1.ApprovalQueue))
	mux.Handle("GET /api/v1/recycle-bin", s.api(signedIn, v1.GetRecycleBin))
	mux.Handle("GET /api/v1/audit", s.api(signedIn, v1.AuditLog))
}

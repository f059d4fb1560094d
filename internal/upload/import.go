package upload

import (
	"context"
	"fmt"
	"io"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/catalog"
)

// msgImportFailed is the failed session's message when its file could not
// be stored.
const msgImportFailed = "The recording could not be stored. Please try again."

// Import ingests a recording that did not arrive over tus (the demo's
// sample lecture; later, imports from other systems) along the same path
// an upload takes: the session is created for u in ns.FolderID (u needs
// edit on the folder, and the quota is asked first, as for an upload),
// r's bytes become the session's source object (SourceKey), and the
// session is queued and the media pipeline started, as when an upload's
// last byte arrives.
//
// size is what r should hold, or -1 when unknown; a short or long read
// fails the session. Errors are the catalog's (EInvalid for a bad title or
// folder, EForbidden), the quota's, or the blob store's; a session that was
// created before the failure is left failed with a plain message.
func (s *Service) Import(ctx context.Context, u lectern.User, ns catalog.NewSession, filename string, r io.Reader, size int64) (lectern.Session, error) {
	if s.quota != nil && size > 0 {
		if err := s.quota(ctx, u, size); err != nil {
			return lectern.Session{}, err
		}
	}
	sess, err := s.catalog.CreateSession(ctx, lectern.PrincipalOf(u), ns, "")
	if err != nil {
		return lectern.Session{}, err
	}
	fail := func(err error) (lectern.Session, error) {
		if _, ferr := s.catalog.SetProcessing(context.WithoutCancel(ctx), sess.ID, lectern.ProcessingFailed, msgImportFailed); ferr != nil {
			s.log.ErrorContext(ctx, "could not mark an import failed", "session", sess.ID, "err", ferr)
		}
		return lectern.Session{}, fmt.Errorf("import %s: %w", sess.ID, err)
	}
	if err := s.db.EnsureSessionMedia(ctx, sess.ID, cleanFilename(filename), s.now()); err != nil {
		return fail(err)
	}
	n, err := s.store.blobs.Put(ctx, SourceKey(sess.ID), r)
	if err != nil {
		return fail(err)
	}
	if size >= 0 && n != size {
		return fail(fmt.Errorf("stored %d bytes, want %d", n, size))
	}
	s.log.InfoContext(ctx, "recording imported", "session", sess.ID, "user_id", u.ID, "size", n)
	if err := s.Finish(ctx, sess.ID); err != nil {
		return lectern.Session{}, err
	}
	return s.catalog.SessionByID(ctx, sess.ID)
}

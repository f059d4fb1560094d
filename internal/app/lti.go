package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/lectern-edu/lectern/internal/lti"
)

// openLTI builds the LMS integration. Its secrets are sealed with the site
// key: cfg.SiteKeyFile, or Data/site.key, made on first start (a cluster
// must give every node the same file).
func (c *Core) openLTI(ctx context.Context, enq *lateQueue) error {
	path, create := c.Config.SiteKeyFile, false
	if path == "" {
		path, create = filepath.Join(c.Config.Data, "site.key"), true
	}
	key, err := lti.LoadSiteKey(path, create)
	if err != nil {
		return err
	}
	sealer, err := lti.NewSealer(key)
	if err != nil {
		return fmt.Errorf("site key %s: %w", path, err)
	}
	c.LTI, err = lti.New(ctx, lti.Options{
		DB: c.DB, Identity: c.Identity, Access: c.Access, Catalog: c.Catalog, Sealer: sealer,
		BaseURL: c.Config.EffectiveBaseURL(), Jobs: enq, Now: func() time.Time { return time.Now().UTC() },
		Logger: c.Log.With("component", "lti"), HTTPClient: &http.Client{Timeout: 15 * time.Second},
	})
	return err
}

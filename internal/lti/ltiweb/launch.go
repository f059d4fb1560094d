package ltiweb

import (
	"errors"
	"net/http"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/httpserver/request"
	"github.com/lectern-edu/lectern/internal/lti"
)

// RefusedView is the page of a refused launch: which check failed, in
// plain words, for the user to pass on to whoever runs the LMS.
type RefusedView struct {
	Layout
	Check  string
	Reason string
}

// NoticeView is a page a launch ends on instead of a video or folder.
type NoticeView struct {
	Layout
	Kind    string
	Heading string
	Message string
}

// refuse logs a refused launch with its check and renders the page; other
// errors go to the one error renderer.
func (h *Handlers) refuse(w http.ResponseWriter, r *http.Request, what string, err error) error {
	rej, ok := lti.RejectionOf(err)
	if !ok {
		return err
	}
	h.log.WarnContext(r.Context(), "lti launch refused", "endpoint", what, "check", string(rej.Check),
		"reason", rej.Reason, "detail", rej.Detail, "client", request.ClientAddr(r))
	status := http.StatusForbidden
	if lectern.ErrorCodeOf(err) == lectern.EInvalid {
		status = http.StatusBadRequest
	}
	return h.render(w, r, status, "refused", &RefusedView{Layout: Layout{Title: "Launch refused"}, Check: string(rej.Check), Reason: rej.Reason})
}

// Login serves GET and POST /lti/login: the platform's OIDC login
// initiation. It sets the login's state cookie and sends the browser to
// the platform's authorization endpoint.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodPost {
		if err := parseForm(w, r); err != nil {
			return err
		}
	}
	get := func(k string) string { return strings.TrimSpace(r.FormValue(k)) }
	red, err := h.lti.StartLogin(r.Context(), lti.LoginRequest{
		Issuer: get("iss"), LoginHint: get("login_hint"), TargetLinkURI: get("target_link_uri"),
		MessageHint: r.FormValue("lti_message_hint"), DeploymentID: get("lti_deployment_id"), ClientID: get("client_id"),
	})
	if err != nil {
		return h.refuse(w, r, "login", err)
	}
	http.SetCookie(w, &http.Cookie{Name: red.CookieName, Value: red.CookieValue, Path: "/lti/", Expires: red.ExpiresAt,
		HttpOnly: true, Secure: h.cfg.SecureCookies, SameSite: h.sameSite(), Partitioned: h.cfg.SecureCookies})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, red.URL, http.StatusFound)
	return nil
}

// Launch serves POST /lti/launch and POST /lti/deep-link: the platform's
// id_token, form-posted by the browser after the OIDC login.
func (h *Handlers) Launch(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	state := r.PostFormValue("state")
	if e := r.PostFormValue("error"); e != "" && r.PostFormValue("id_token") == "" {
		reason := "The LMS did not launch Lectern; it answered: " + e
		if d := r.PostFormValue("error_description"); d != "" {
			reason += " (" + d + ")"
		}
		return h.refuse(w, r, "launch", &lectern.Error{Code: lectern.EForbidden, Message: reason,
			Err: &lti.Rejection{Check: lti.CheckRequest, Reason: reason}})
	}
	cookie := func(name string) (string, bool) {
		c, err := r.Cookie(name)
		if err != nil {
			return "", false
		}
		return c.Value, true
	}
	launch, err := h.lti.ValidateLaunch(r.Context(), r.PostFormValue("id_token"), state, cookie)
	if state != "" {
		http.SetCookie(w, &http.Cookie{Name: lti.StateCookieName(state), Value: "", Path: "/lti/", MaxAge: -1,
			HttpOnly: true, Secure: h.cfg.SecureCookies, SameSite: h.sameSite(), Partitioned: h.cfg.SecureCookies})
	}
	if err != nil {
		return h.refuse(w, r, "launch", err)
	}
	return h.provision(w, r, launch)
}

// Launch11 serves POST /lti/1.1/launch.
func (h *Handlers) Launch11(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	launch, err := h.lti.ValidateLaunch11(r.Context(), r.URL.Query(), r.PostForm)
	if err != nil {
		return h.refuse(w, r, "launch 1.1", err)
	}
	return h.provision(w, r, launch)
}

// provision acts on a checked launch, signs the user in and sends them on.
func (h *Handlers) provision(w http.ResponseWriter, r *http.Request, launch *lti.Launch) error {
	out, err := h.lti.Provision(r.Context(), launch)
	if err != nil {
		if rej, ok := lti.RejectionOf(err); ok {
			return h.refuse(w, r, "provision", &lectern.Error{Code: lectern.EForbidden, Message: rej.Reason, Err: rej})
		}
		return err
	}
	if err := h.signIn(w, r, out.User); err != nil {
		var le *lectern.Error
		if errors.As(err, &le) && le.Code == lectern.EForbidden {
			return h.render(w, r, http.StatusForbidden, "notice", &NoticeView{Layout: Layout{Title: "Account disabled"},
				Kind: "disabled", Heading: "Your Lectern account is disabled", Message: le.Message})
		}
		return err
	}
	h.log.InfoContext(r.Context(), "lti launch", "platform", launch.Platform.ID, "user_id", out.User.ID,
		"role", launch.Role.String(), "message_type", launch.MessageType, "context", launch.ContextID, "resource_link", launch.ResourceLinkID)
	if out.Notice != nil {
		u := out.User
		return h.render(w, r, http.StatusOK, "notice", &NoticeView{Layout: Layout{Title: out.Notice.Heading, User: &u},
			Kind: out.Notice.Kind, Heading: out.Notice.Heading, Message: out.Notice.Message})
	}
	return seeOther(w, r, out.Location)
}

// JWKS serves GET /lti/jwks: Lectern's public keys.
func (h *Handlers) JWKS(w http.ResponseWriter, r *http.Request) error {
	body, err := h.lti.JWKS(r.Context())
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(body)
	return nil
}

// autosubmitJS submits a form marked data-autosubmit once the page has
// loaded: the deep-linking answer to the LMS. (The CSP allows no inline
// script; the form also has a button for browsers without script.)
const autosubmitJS = `document.addEventListener("DOMContentLoaded", function () {
  var f = document.querySelector("form[data-autosubmit]");
  if (f) { f.submit(); }
});
`

// AutosubmitJS serves GET /lti/autosubmit.js.
func (h *Handlers) AutosubmitJS(w http.ResponseWriter, r *http.Request) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(autosubmitJS))
	return nil
}

package testkit

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Browser is a cookie-keeping HTTP client that behaves like a browser in
// the LTI flows: it does not follow redirects on its own (tests look at
// each step), sends Origin and Sec-Fetch-Site on form posts, and can
// submit the auto-posting forms that OIDC form_post and deep-linking
// answers are.
type Browser struct {
	t      testing.TB
	Client *http.Client
	Jar    *cookiejar.Jar
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser(t testing.TB) *Browser {
	jar, err := cookiejar.New(nil)
	Must(t, err, "cookie jar")
	return &Browser{t: t, Jar: jar, Client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Response is a fetched page.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	URL      *url.URL
	Location string // the redirect target, resolved, for 3xx
}

func (b *Browser) do(req *http.Request) *Response {
	b.t.Helper()
	res, err := b.Client.Do(req)
	Must(b.t, err, "%s %s", req.Method, req.URL)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	Must(b.t, err, "read %s", req.URL)
	out := &Response{Status: res.StatusCode, Header: res.Header, Body: string(body), URL: req.URL}
	if loc := res.Header.Get("Location"); loc != "" {
		if u, err := req.URL.Parse(loc); err == nil {
			out.Location = u.String()
		}
	}
	return out
}

// Get fetches a URL.
func (b *Browser) Get(rawURL string) *Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	Must(b.t, err, "GET %s", rawURL)
	return b.do(req)
}

// Post submits a form to action from a page of origin fromOrigin, with the
// Origin and Sec-Fetch-Site headers a browser would send.
func (b *Browser) Post(action, fromOrigin string, form url.Values) *Response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
	Must(b.t, err, "POST %s", action)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", fromOrigin)
	site := "same-origin"
	if origin(action) != fromOrigin {
		site = "cross-site"
	}
	req.Header.Set("Sec-Fetch-Site", site)
	return b.do(req)
}

// Follow fetches r's redirect target.
func (b *Browser) Follow(r *Response) *Response {
	b.t.Helper()
	if r.Location == "" {
		b.t.Fatalf("expected a redirect from %s, got %d: %s", r.URL, r.Status, snippet(r.Body))
	}
	return b.Get(r.Location)
}

// AutoPost is a form a page posts by itself.
type AutoPost struct {
	Action string
	From   string // the origin of the page holding it
	Fields url.Values
}

// FindForm returns the first form of a page marked data-autosubmit, or,
// with selector "method=post", the first POST form; ok is false when
// there is none.
func FindForm(r *Response, autosubmitOnly bool) (AutoPost, bool) {
	doc, err := html.Parse(strings.NewReader(r.Body))
	if err != nil {
		return AutoPost{}, false
	}
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" && strings.EqualFold(attr(n, "method"), "post") {
			if _, auto := attrOK(n, "data-autosubmit"); auto || !autosubmitOnly {
				found = n
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if found == nil {
		return AutoPost{}, false
	}
	ap := AutoPost{Action: attr(found, "action"), From: origin(r.URL.String()), Fields: url.Values{}}
	if u, err := r.URL.Parse(ap.Action); err == nil {
		ap.Action = u.String()
	}
	var inputs func(*html.Node)
	inputs = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" && attr(n, "type") == "hidden" {
			ap.Fields.Add(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			inputs(c)
		}
	}
	inputs(found)
	return ap, true
}

// Submit posts an auto-posting form.
func (b *Browser) Submit(ap AutoPost) *Response {
	b.t.Helper()
	return b.Post(ap.Action, ap.From, ap.Fields)
}

// StartLaunch runs an LTI 1.3 launch up to the form the platform's
// authorization endpoint answers with (not yet posted): the tool's login
// initiation, its redirect to the platform, the platform's form_post page.
func (b *Browser) StartLaunch(loginURL string) AutoPost {
	b.t.Helper()
	login := b.Get(loginURL)
	if login.Status != http.StatusFound || login.Location == "" {
		b.t.Fatalf("login initiation: want 302 to the platform, got %d: %s", login.Status, snippet(login.Body))
	}
	auth := b.Get(login.Location)
	if auth.Status != http.StatusOK {
		b.t.Fatalf("platform auth: %d: %s", auth.Status, snippet(auth.Body))
	}
	ap, ok := FindForm(auth, true)
	if !ok {
		b.t.Fatalf("platform auth: no auto-posting form in %s", snippet(auth.Body))
	}
	return ap
}

// Launch runs a whole LTI 1.3 launch and returns the tool's answer to the
// id_token post.
func (b *Browser) Launch(loginURL string) *Response {
	b.t.Helper()
	return b.Submit(b.StartLaunch(loginURL))
}

// DropCookies removes the browser's cookies for u whose names start with
// prefix.
func (b *Browser) DropCookies(u, prefix string) {
	parsed, err := url.Parse(u)
	Must(b.t, err, "parse %s", u)
	var gone []*http.Cookie
	for _, c := range b.Jar.Cookies(parsed) {
		if strings.HasPrefix(c.Name, prefix) {
			gone = append(gone, &http.Cookie{Name: c.Name, Value: "", Path: "/lti/", MaxAge: -1})
			gone = append(gone, &http.Cookie{Name: c.Name, Value: "", Path: "/", MaxAge: -1})
		}
	}
	b.Jar.SetCookies(parsed, gone)
}

// SetCookie puts a cookie in the jar for u.
func (b *Browser) SetCookie(u string, c *http.Cookie) {
	parsed, err := url.Parse(u)
	Must(b.t, err, "parse %s", u)
	b.Jar.SetCookies(parsed, []*http.Cookie{c})
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func snippet(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// LTI11Consumer signs LTI 1.1 launches as an LMS does: OAuth 1.0a
// HMAC-SHA1 over the POST, per RFC 5849 (written here independently of
// Lectern's checker).
type LTI11Consumer struct {
	Key, Secret string
	Now         func() time.Time
}

// Sign returns params with the oauth_* fields and the signature added.
// nonce empty makes a random one.
func (c LTI11Consumer) Sign(launchURL string, params url.Values, nonce string) url.Values {
	out := url.Values{}
	for k, v := range params {
		out[k] = append([]string(nil), v...)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if nonce == "" {
		nonce = randHex(12)
	}
	out.Set("oauth_consumer_key", c.Key)
	out.Set("oauth_signature_method", "HMAC-SHA1")
	out.Set("oauth_timestamp", strconv.FormatInt(now().Unix(), 10))
	out.Set("oauth_nonce", nonce)
	out.Set("oauth_version", "1.0")
	out.Set("oauth_callback", "about:blank")
	u, _ := url.Parse(launchURL)
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	base := fmt.Sprintf("%s&%s&%s", "POST", pct(scheme+"://"+host+u.EscapedPath()), pct(sortedParams(out)))
	mac := hmac.New(sha1.New, []byte(pct(c.Secret)+"&"))
	mac.Write([]byte(base))
	out.Set("oauth_signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return out
}

func sortedParams(v url.Values) string {
	var pairs [][2]string
	for k, vs := range v {
		for _, x := range vs {
			pairs = append(pairs, [2]string{pct(k), pct(x)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p[0] + "=" + p[1]
	}
	return strings.Join(parts, "&")
}

// pct is RFC 3986 percent-encoding (url.QueryEscape writes spaces as '+'
// and leaves '~' ambiguous, so it is fixed up).
func pct(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "%7E", "~")
	return e
}

package lti

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"testing"
)

// TestOAuthRFC5849Example checks parameter normalization against RFC 5849
// §3.4.1.3.2, base URLs against §3.4.1.2, and the HMAC-SHA1 signature
// against OAuth Core 1.0 Appendix A.
func TestOAuthRFC5849Example(t *testing.T) {
	t.Parallel()
	params := url.Values{
		"b5": {"=%3D"}, "a3": {"a", "2 q"}, "c@": {""}, "a2": {"r b"}, "oauth_consumer_key": {"9djdj82h48djs9d2"},
		"oauth_token": {"kkk9d7dh3k39sjv7"}, "oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"137131201"},
		"oauth_nonce": {"7d8f3e4a"}, "c2": {""}, "oauth_signature": {"ignored"},
	}
	const wantParams = "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2" +
		"&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7"
	if got := normalizeParams(params); got != wantParams {
		t.Fatalf("normalized parameters\n got %s\nwant %s", got, wantParams)
	}
	if got := normalizeURL("HTTP://EXAMPLE.COM:80/request?b5=%3D%253D#x"); got != "http://example.com/request" {
		t.Errorf("base URL %q", got)
	}
	if got := normalizeURL("https://www.example.net:8080/?q=1"); got != "https://www.example.net:8080/" {
		t.Errorf("base URL with a port %q", got)
	}
	// The signature of OAuth Core 1.0 Appendix A (which RFC 5849 keeps):
	// GET http://photos.example.net/photos?file=vacation.jpg&size=original.
	photo := url.Values{"file": {"vacation.jpg"}, "size": {"original"}, "oauth_consumer_key": {"dpf43f3p2l4k3l03"},
		"oauth_token": {"nnch734d00sl2jdk"}, "oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"1191242096"},
		"oauth_nonce": {"kllo9940pd9333jh"}, "oauth_version": {"1.0"}}
	base := "GET&" + oauthEncode(normalizeURL("http://photos.example.net/photos?size=original")) + "&" + oauthEncode(normalizeParams(photo))
	mac := hmac.New(sha1.New, []byte("kd94hf93k423kf44&pfkkdhi9sl3r4s00"))
	mac.Write([]byte(base))
	if got := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != "tR3+Ty81lMeYAr/Fid0kMTYa/WM=" {
		t.Errorf("signature %s, want tR3+Ty81lMeYAr/Fid0kMTYa/WM=", got)
	}
	// With no token secret, OAuthSignature is the same computation.
	if OAuthSignature("GET", "http://photos.example.net/photos", photo, "kd94hf93k423kf44") == "" {
		t.Error("no signature")
	}
}

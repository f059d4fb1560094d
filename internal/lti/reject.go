package lti

import (
	"errors"
	"fmt"

	"github.com/lectern-edu/lectern"
)

// Check names one of the tests a launch must pass. The names appear in
// the log and, with a plain explanation, on the page.
type Check string

const (
	CheckRequest      Check = "request"        // the form lacks what the protocol requires
	CheckRegistration Check = "registration"   // no registration matches the issuer / client id / consumer key
	CheckStateCookie  Check = "state-cookie"   // the browser did not send the login's state cookie
	CheckStateMatch   Check = "state-mismatch" // the state cookie differs from the state posted
	CheckState        Check = "state"          // the state is unknown or has expired
	CheckAlgorithm    Check = "alg"            // signed with an algorithm Lectern does not accept
	CheckKeyID        Check = "kid"            // no key of the platform has the token's key id
	CheckSignature    Check = "signature"      // the signature does not verify
	CheckIssuer       Check = "iss"
	CheckAudience     Check = "aud"
	CheckAZP          Check = "azp"
	CheckExpired      Check = "exp"
	CheckIssuedAt     Check = "iat"
	CheckNonce        Check = "nonce"        // the id_token's nonce is not the login's
	CheckReplay       Check = "nonce-replay" // the nonce was used before
	CheckDeployment   Check = "deployment"
	CheckMessageType  Check = "message-type"
	CheckVersion      Check = "version"
	CheckClaims       Check = "claims"    // a required claim is missing or malformed
	CheckTimestamp    Check = "timestamp" // LTI 1.1 oauth_timestamp outside the window
	CheckRole         Check = "role"      // the user's role does not allow this message
)

// Rejection says why a launch was refused: which check failed, in plain
// words (Reason, safe to show) and in detail for the log.
type Rejection struct {
	Check  Check
	Reason string
	Detail string
}

func (r *Rejection) Error() string {
	if r.Detail != "" {
		return fmt.Sprintf("lti launch refused (%s): %s: %s", r.Check, r.Reason, r.Detail)
	}
	return fmt.Sprintf("lti launch refused (%s): %s", r.Check, r.Reason)
}

// reject returns a launch refusal: EForbidden with the reason as the safe
// message, wrapping the Rejection.
func reject(check Check, detail, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	code := lectern.EForbidden
	if check == CheckRequest {
		code = lectern.EInvalid
	}
	return &lectern.Error{Code: code, Message: reason, Err: &Rejection{Check: check, Reason: reason, Detail: detail}}
}

// RejectionOf returns the Rejection in err's chain, if any.
func RejectionOf(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}

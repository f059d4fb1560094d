package blob

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lectern-edu/lectern"
)

// s3Params are the query parameters an s3:// blob URL may carry.
var s3Params = map[string]bool{
	"endpoint": true, "region": true, "path_style": true,
	"access_key": true, "secret_key": true, "page_size": true,
}

// OpenS3 builds an S3Store from a blob URL of the form
//
//	s3://bucket[/key/prefix]?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true
//
// Parameters, all optional:
//
//   - endpoint: base URL of an S3-compatible server (AWS when absent);
//   - region: signing region (else AWS_REGION or the shared config, else us-east-1);
//   - path_style: true to address the bucket in the path, as most
//     self-hosted servers need;
//   - access_key, secret_key: static credentials; when absent the standard
//     AWS chain is used (AWS_ACCESS_KEY_ID…, shared files, instance role);
//   - page_size: keys per List request, 1–1000 (tests use small pages).
//
// An unknown parameter is lectern.EInvalid, so a typo does not go
// unnoticed. OpenS3 does not contact the server.
func OpenS3(ctx context.Context, u *url.URL) (*S3Store, error) {
	invalid := func(format string, args ...any) error {
		return lectern.Errorf(lectern.EInvalid, "blob storage: "+format, args...)
	}
	if u.Scheme != "s3" {
		return nil, invalid("S3 URL must start with s3://")
	}
	if u.Host == "" {
		return nil, invalid("S3 URL names no bucket (want s3://bucket?...)")
	}
	if u.User != nil {
		return nil, invalid("S3 URL must pass credentials as access_key and secret_key parameters")
	}
	q := u.Query()
	for name := range q {
		if !s3Params[name] {
			return nil, invalid("unknown S3 URL parameter %q", name)
		}
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}

	endpoint := q.Get("endpoint")
	if endpoint != "" {
		e, err := url.Parse(endpoint)
		if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
			return nil, invalid("S3 endpoint must be an http:// or https:// URL")
		}
	}
	pathStyle := false
	if v := q.Get("path_style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalid("S3 path_style must be true or false")
		}
		pathStyle = b
	}
	var pageSize int32
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 || n > DefaultS3PageSize {
			return nil, invalid("S3 page_size must be between 1 and %d", DefaultS3PageSize)
		}
		pageSize = int32(n)
	}
	accessKey, secretKey := q.Get("access_key"), q.Get("secret_key")
	if (accessKey == "") != (secretKey == "") {
		return nil, invalid("S3 URL needs both access_key and secret_key, or neither")
	}

	location := "s3://" + u.Host
	if prefix != "" {
		location += "/" + strings.TrimSuffix(prefix, "/")
	}
	if endpoint != "" {
		location += " at " + redactEndpoint(endpoint)
	}

	opts := []func(*config.LoadOptions) error{
		// Many S3-compatible servers reject the SDK's default checksums.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if r := q.Get("region"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if accessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(accessKey, secretKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &lectern.Error{Code: lectern.EInvalid,
			Message: fmt.Sprintf("blob storage: cannot load AWS configuration for %s", location), Err: err}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
	})
	return NewS3Store(client, S3Config{
		Bucket:   u.Host,
		Prefix:   prefix,
		Location: location,
		PageSize: pageSize,
		Presign:  s3.NewPresignClient(client),
	})
}

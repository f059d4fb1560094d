package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/lectern-edu/lectern"
)

// S3API is the part of the S3 client the store uses (*s3.Client has it), so
// that a test can put a fake in its place. The multipart calls are those
// the transfer manager needs for streaming uploads.
type S3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(context.Context, *s3.UploadPartInput, ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// S3PresignAPI is the part of *s3.PresignClient that PresignGet uses.
type S3PresignAPI interface {
	PresignGetObject(context.Context, *s3.GetObjectInput, ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var (
	_ S3API        = (*s3.Client)(nil)
	_ S3PresignAPI = (*s3.PresignClient)(nil)
)

// Upload tuning. Parts are held in memory while they are sent, so one Put
// uses at most about PartSize×(Concurrency+1) bytes; with S3's 10,000-part
// limit a body of unknown length may be up to 10,000×PartSize (80 GiB).
const (
	DefaultS3PartSize    = 8 << 20
	DefaultS3Concurrency = 4
	DefaultS3PageSize    = 1000
	maxPresignTTL        = 7 * 24 * time.Hour
)

// S3Config says where an S3Store keeps its objects.
type S3Config struct {
	Bucket string
	// Prefix is put before every key ("lectern/" keeps the store in a
	// folder of a shared bucket). Empty, or ending with "/".
	Prefix string
	// Location names the store in error messages, e.g.
	// "s3://media at http://127.0.0.1:9000". It must not hold secrets.
	Location string
	// PageSize is the number of keys List asks for per request (S3's
	// maximum, 1000, when zero).
	PageSize int32
	// PartSize is the multipart part size (DefaultS3PartSize when zero,
	// at least 5 MiB). Bodies shorter than one part go up in one PutObject.
	PartSize int64
	// Presign, optional, makes PresignGet work.
	Presign S3PresignAPI
}

// S3Store keeps objects in one bucket of S3-compatible storage. PutObject
// and CompleteMultipartUpload replace an object atomically, so readers see
// the old or the new object, never a part.
type S3Store struct {
	api      S3API
	tm       *transfermanager.Client
	presign  S3PresignAPI
	bucket   string
	prefix   string
	location string
	pageSize int32
}

var (
	_ Store     = (*S3Store)(nil)
	_ Presigner = (*S3Store)(nil)
)

// NewS3Store returns a store that talks to api. OpenS3 builds the client
// from a blob URL; tests may pass a fake.
func NewS3Store(api S3API, cfg S3Config) (*S3Store, error) {
	if cfg.Bucket == "" {
		return nil, lectern.Errorf(lectern.EInvalid, "blob storage: S3 bucket is empty")
	}
	if cfg.Prefix != "" && (!strings.HasSuffix(cfg.Prefix, "/") || validatePrefix(cfg.Prefix) != nil) {
		return nil, lectern.Errorf(lectern.EInvalid, "blob storage: S3 key prefix %q must be a relative path ending with /", cfg.Prefix)
	}
	if cfg.PageSize <= 0 || cfg.PageSize > DefaultS3PageSize {
		cfg.PageSize = DefaultS3PageSize
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultS3PartSize
	}
	if cfg.PartSize < 5<<20 {
		return nil, lectern.Errorf(lectern.EInvalid, "blob storage: S3 part size must be at least 5 MiB")
	}
	if cfg.Location == "" {
		cfg.Location = "s3://" + cfg.Bucket
	}
	tm := transfermanager.New(api, func(o *transfermanager.Options) {
		o.PartSizeBytes = cfg.PartSize
		o.MultipartUploadThreshold = cfg.PartSize
		o.Concurrency = DefaultS3Concurrency
		// Abort a failed multipart upload even when ctx was cancelled.
		o.FailTimeout = 30 * time.Second
		// Many S3-compatible servers reject the SDK's default CRC32
		// trailers; integrity is covered by SigV4 payload hashes and TLS.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	return &S3Store{
		api:      api,
		tm:       tm,
		presign:  cfg.Presign,
		bucket:   cfg.Bucket,
		prefix:   cfg.Prefix,
		location: cfg.Location,
		pageSize: cfg.PageSize,
	}, nil
}

// Location names the store for logs and messages, without secrets.
func (s *S3Store) Location() string { return s.location }

func (s *S3Store) objectKey(key string) *string { return aws.String(s.prefix + key) }

// Put streams r with the transfer manager: one PutObject for a body
// shorter than a part, else a multipart upload with parts sent
// concurrently, aborted on failure.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidateKey(key); err != nil {
		return 0, err
	}
	body := &countingReader{r: ctxReader{ctx: ctx, r: r}}
	_, err := s.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    s.objectKey(key),
		Body:   body,
	})
	n := body.n.Load()
	if err != nil {
		return n, s.mapErr(ctx, "put", key, err)
	}
	return n, nil
}

// Open issues one ranged GetObject.
func (s *S3Store) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := checkRange(offset); err != nil {
		return nil, err
	}
	if length == 0 {
		return s.emptyAt(ctx, key, offset)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: s.objectKey(key)}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := s.api.GetObject(ctx, in)
	if err != nil {
		if errorCode(err) == "InvalidRange" || httpStatus(err) == 416 {
			// The offset is at or past the end (or the object is empty).
			return s.emptyAt(ctx, key, offset)
		}
		return nil, s.mapErr(ctx, "open", key, err)
	}
	return out.Body, nil
}

// emptyAt returns an empty reader when offset is within or at the end of
// the object, after checking that it exists.
func (s *S3Store) emptyAt(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if offset > info.Size {
		return nil, errPastEnd(key, offset, info.Size)
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// Stat issues HeadObject.
func (s *S3Store) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: s.objectKey(key)})
	if err != nil {
		return Info{}, s.mapErr(ctx, "stat", key, err)
	}
	return Info{Key: key, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Delete issues DeleteObject, which succeeds for a missing key.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	_, err := s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: s.objectKey(key)})
	if err != nil {
		err = s.mapErr(ctx, "delete", key, err)
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return nil
		}
		return err
	}
	return nil
}

// List pages through ListObjectsV2.
func (s *S3Store) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	p := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{
		Bucket:  aws.String(s.bucket),
		Prefix:  aws.String(s.prefix + prefix),
		MaxKeys: aws.Int32(s.pageSize),
	})
	var out []Info
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.mapErr(ctx, "list", prefix, err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || key == "" || isReserved(key) || strings.HasSuffix(key, "/") {
				continue // a folder marker or a probe
			}
			out = append(out, Info{Key: key, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Ping writes, reads back and deletes a probe object with one attempt per
// request, so that /readyz answers quickly when storage is down.
func (s *S3Store) Ping(ctx context.Context) error {
	once := func(o *s3.Options) { o.RetryMaxAttempts = 1 }
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	key := s.prefix + reservedPrefix + "ping/" + hex.EncodeToString(rnd[:])
	probe := []byte("lectern blob ping\n")
	fail := func(what string, err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("ping %s: %w", s.location, ctx.Err())
		}
		msg := fmt.Sprintf("object storage %s is %s", s.location, what)
		switch st := httpStatus(err); {
		case err != nil && st == 0:
			msg = fmt.Sprintf("object storage %s is not reachable", s.location)
		case st == 401 || st == 403:
			msg = fmt.Sprintf("object storage %s refused access (check the credentials)", s.location)
		case st == 404 && errorCode(err) == "NoSuchBucket":
			msg = fmt.Sprintf("object storage %s: the bucket does not exist", s.location)
		}
		return &lectern.Error{Code: lectern.EUnavailable, Message: msg, Err: err}
	}
	_, err := s.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key),
		Body: bytes.NewReader(probe), ContentLength: aws.Int64(int64(len(probe))),
	}, once)
	if err != nil {
		return fail("not writable", err)
	}
	defer func() {
		_, _ = s.api.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}, once)
	}()
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}, once)
	if err != nil {
		return fail("not readable", err)
	}
	got, err := io.ReadAll(io.LimitReader(out.Body, 1<<10))
	_ = out.Body.Close()
	if err != nil {
		return fail("not readable", err)
	}
	if !bytes.Equal(got, probe) {
		return fail("returning wrong data", nil)
	}
	return nil
}

// PresignGet returns a GET URL for key valid for ttl (at most 7 days).
func (s *S3Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > maxPresignTTL {
		return "", lectern.Errorf(lectern.EInvalid, "presigned URL lifetime %s must be between 0 and 7 days", ttl)
	}
	if s.presign == nil {
		return "", fmt.Errorf("presign %q: store has no presign client", key)
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: s.objectKey(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %q: %w", key, err)
	}
	return req.URL, nil
}

// mapErr turns an SDK error into a Lectern error: 404 → ENotFound, no
// answer or a 5xx → EUnavailable naming the location, else wrapped as is.
func (s *S3Store) mapErr(ctx context.Context, op, key string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s blob %q: %w", op, key, err)
	}
	var le *lectern.Error
	if errors.As(err, &le) {
		return fmt.Errorf("%s blob %q: %w", op, key, err) // from the caller's reader
	}
	code, status := errorCode(err), httpStatus(err)
	switch {
	case code == "NoSuchKey" || code == "NotFound" || (status == 404 && code != "NoSuchBucket"):
		return errNotFound(key, err)
	case status == 0 || status >= 500 || status == 401 || status == 403 || code == "NoSuchBucket":
		return &lectern.Error{Code: lectern.EUnavailable,
			Message: fmt.Sprintf("object storage %s is unavailable", s.location),
			Err:     fmt.Errorf("%s blob %q: %w", op, key, err)}
	}
	return fmt.Errorf("%s blob %q in %s: %w", op, key, s.location, err)
}

// errorCode returns the S3 error code ("NoSuchKey") of err, if any.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of the response that caused err, or
// 0 when there was no response.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// countingReader counts the bytes read from r; the transfer manager may
// read from another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

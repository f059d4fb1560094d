package config

import (
	"strings"
	"testing"
	"time"
)

func TestPlaybackTokenTTL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    time.Duration
		wantErr string
	}{
		{"default: the playback package's rule", nil, nil, 0, ""},
		{"environment", nil, map[string]string{"LECTERN_PLAYBACK_TOKEN_TTL": "2s"}, 2 * time.Second, ""},
		{"flag", []string{"--playback-token-ttl", "90m"}, nil, 90 * time.Minute, ""},
		{"negative", nil, map[string]string{"LECTERN_PLAYBACK_TOKEN_TTL": "-1h"}, 0, "LECTERN_PLAYBACK_TOKEN_TTL"},
		{"not a duration", []string{"--playback-token-ttl", "long"}, nil, 0, "--playback-token-ttl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(t, tc.args, tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PlaybackTokenTTL != tc.want {
				t.Fatalf("PlaybackTokenTTL = %s, want %s", c.PlaybackTokenTTL, tc.want)
			}
		})
	}
}

package lectern

// Version is set at build time with -ldflags "-X github.com/lectern-edu/lectern.Version=…".
var Version = "dev"

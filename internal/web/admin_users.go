package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/lectern-edu/lectern"
)

// usersPageSize is how many accounts one page of /admin/users lists.
const usersPageSize = 50

// UsersView is one page of the account list.
type UsersView struct {
	Layout
	Users            []lectern.User
	Total            int
	Page, Pages      int
	PrevURL, NextURL string
}

// Users serves GET /admin/users?page=N (admins only).
func (p *Pages) Users(w http.ResponseWriter, r *http.Request) error {
	page := 1
	if s := r.URL.Query().Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return lectern.Errorf(lectern.EInvalid, "The page number must be a whole number from 1 up.")
		}
		page = n
	}
	total, err := p.cfg.Identity.CountUsers(r.Context())
	if err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	users, err := p.cfg.Identity.ListUsers(r.Context(), usersPageSize, (page-1)*usersPageSize)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	v := &UsersView{Layout: Layout{Title: "Users", Section: "admin"}, Users: users, Total: total, Page: page}
	v.Pages = max(1, (v.Total+usersPageSize-1)/usersPageSize)
	if page > 1 {
		v.PrevURL = fmt.Sprintf("/admin/users?page=%d", page-1)
	}
	if page < v.Pages {
		v.NextURL = fmt.Sprintf("/admin/users?page=%d", page+1)
	}
	if v.Pages > 1 {
		v.Title = fmt.Sprintf("Users, page %d of %d", page, v.Pages)
	}
	return p.render(w, r, http.StatusOK, "admin_users", v)
}

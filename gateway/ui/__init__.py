"""The gateway's own web pages: the Connect page (magic links) and the admin dashboard.

Plain HTML and small JavaScript modules served from `static/`: no build step
and nothing fetched from another host at run time (sites are often offline).
"""

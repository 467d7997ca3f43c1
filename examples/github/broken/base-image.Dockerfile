# The Dockerfile in the checkout of base-image-other-host.yml: its base image is private, on
# another location's host than the one the job logged in to.
FROM europe-docker.pkg.dev/demo-project/demo-eu/hello:1.0

# Helpers for scripts/mktree, scripts/export and scripts/bisect (sourced).
# Needs: $build (the build directory); runs in the repository's top directory.

tree=$build/tree
meta=$tree/.git/timens

# build/tree's commits have a fixed committer, whoever builds (and whether
# or not git knows who they are): git am keeps each patch's author, and the
# base commit is the build's own.
tgit() {
	GIT_COMMITTER_NAME="timens build" GIT_COMMITTER_EMAIL=build@timens.invalid \
		git -C "$tree" "$@"
}

# The patch names of patches/series, in order (comments and blank lines
# skipped); fails naming a listed patch that does not exist.
series_names() {
	[ -f patches/series ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' patches/series |
	while read -r name; do
		[ -f "patches/$name" ] || {
			echo "patches/series lists $name, which is not in patches/" >&2
			exit 1
		}
		echo "$name"
	done
}

# "BLOB NAME" for every patch of the series.
series_blobs() {
	names=$(series_names) || exit 1
	for name in $names; do
		echo "$(git hash-object "patches/$name") $name"
	done
}

has_commits() {
	tgit rev-parse -q --verify base >/dev/null
}

git_synced() {
	tgit rev-parse -q --verify refs/timens/synced || tgit rev-parse base
}

set_synced() {
	tgit update-ref refs/timens/synced HEAD
}

# Succeeds when build/tree holds nothing that patches/ lacks; otherwise
# prints what it holds (indented lines) and fails.
tree_clean() {
	work=
	if [ -d "$tree/.git/rebase-apply" ] || [ -d "$tree/.git/rebase-merge" ]; then
		work="$work
  a git am or git rebase is in progress"
	fi
	st=$(tgit status --porcelain | head -n 5)
	if [ -n "$st" ]; then
		work="$work
  uncommitted changes:
$(echo "$st" | sed 's/^/    /')"
	fi
	synced=$(git_synced)
	if [ "$(tgit rev-parse HEAD)" != "$synced" ]; then
		new=$(tgit log --format='    %h %s' "$synced..HEAD" | head -n 5)
		work="$work
  HEAD is not the commit patches/ was made from (${synced%${synced#???????}})${new:+; new commits:
$new}"
	fi
	[ -n "$work" ] || return 0
	echo "$work"
	return 1
}

# Make the tree exactly commit $1 on branch series, whatever it held.
reset_to() {
	tgit am --quit 2>/dev/null || :
	tgit rebase --quit 2>/dev/null || :
	tgit checkout -q -f -B series "$1"
	tgit clean -fdq
}

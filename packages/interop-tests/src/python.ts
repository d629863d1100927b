/**
 * Debian's python3, where `apt-get install python3-redis python3-pydantic` puts the libraries the original's side
 * needs (not a pyenv or virtualenv python that may be first on PATH).
 */
export const PYTHON = '/usr/bin/python3';

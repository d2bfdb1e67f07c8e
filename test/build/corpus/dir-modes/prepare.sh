set -e
chmod 0700 d; chmod 0600 d/f; chmod 0711 d/sub

/* version.h - the server's name and version. */
#ifndef VERSION_H
#define VERSION_H

#define SERVER_NAME "tern"
#define SERVER_VERSION "0.1.0"
#define SERVER_SOFTWARE SERVER_NAME "/" SERVER_VERSION

#endif

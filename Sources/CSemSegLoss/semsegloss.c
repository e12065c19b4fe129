/* header-only target: the contract lives in include/semsegloss.h */

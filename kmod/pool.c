// SPDX-License-Identifier: GPL-2.0
/* Placeholder: filled by the primitives work (issue 4). */

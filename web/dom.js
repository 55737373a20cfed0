// dom.js: building the pages' elements from text, shared by the chat and file panels.

// Builds one element: el('p', 'class names', child, ...); strings become text, never HTML.
export function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.append(...children);
    return node;
}

// The mark next to what the stream's broadcaster said or sent. The server sets "publisher" from
// the session the message came on, so a viewer cannot claim it by choosing a name.
export function broadcasterBadge() {
    return el('span', 'broadcaster-badge', 'broadcaster');
}

// Inline SVG icons: no icon font, nothing fetched. They are decorative; the
// button or link around each one carries the accessible name.

function Svg(props: { d: string; size?: number }) {
  const s = props.size ?? 16;
  return (
    <svg
      class="icon"
      width={s}
      height={s}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={props.d} />
    </svg>
  );
}

export const KeyIcon = (p: { size?: number }) => (
  <Svg size={p.size} d="M15.5 7.5a3.5 3.5 0 1 1-7 0 3.5 3.5 0 0 1 7 0ZM12 11v11m0-4h3m-3-3h2" />
);
export const EditIcon = () => <Svg d="M4 20h4L19 9l-4-4L4 16v4ZM13.5 6.5l4 4" />;
export const RegenerateIcon = () => <Svg d="M20 11a8 8 0 0 0-14.9-4M4 4v4h4m-4 5a8 8 0 0 0 14.9 4M20 20v-4h-4" />;
export const RevokeIcon = () => <Svg d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18ZM5.6 5.6l12.8 12.8" />;
export const RestoreIcon = () => <Svg d="M9 14 4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3" />;
export const DeleteIcon = () => <Svg d="M4 7h16M10 11v6m4-6v6M6 7l1 13h10l1-13M9 7V4h6v3" />;
export const PlusIcon = () => <Svg d="M12 5v14M5 12h14" />;
export const FilterIcon = () => <Svg d="M4 5h16l-6 8v6l-4-2v-4L4 5Z" />;

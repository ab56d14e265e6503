// The library's button, always a real <button>: left alone, it renders a disabled button as a <div>, which
// keyboards and screen readers do not know as a (disabled) button.
import { forwardRef } from 'react';
import { Button as TButton, type ButtonProps } from 'tdesign-react';

export const Button = forwardRef<HTMLElement, ButtonProps>(function Button(props, ref) {
  return <TButton tag="button" type="button" {...props} ref={ref} />;
});
